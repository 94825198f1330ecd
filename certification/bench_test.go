package certification

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// Run the three together and compare verifications/s:
//
//	go test -run '^$' -bench 'Verify' -benchtime 3s ./certification/

// benchToken issues one certificate for the benchmarks.
func benchToken(b *testing.B) (fixture, string) {
	f := newFixture(b)
	u := f.NewUser(b)
	_, token := f.issue(b, u.ID, "Benchmark Course")
	return f, token
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// BenchmarkVerifyHTTP verifies through POST /v1/certificates/verify over a
// real TCP listener with keep-alive clients, as a verifier would call it.
func BenchmarkVerifyHTTP(b *testing.B) {
	f, token := benchToken(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go f.App.Listener(ln)
	b.Cleanup(func() { f.App.Shutdown() })
	url := "http://" + ln.Addr().String() + "/v1/certificates/verify"
	body, _ := json.Marshal(map[string]string{"token": token})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"valid":true`)) {
				b.Errorf("verify answered %d %s", resp.StatusCode, out)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkVerifyInProcess calls the verifier directly: the HTTP cost is the
// difference from BenchmarkVerifyHTTP.
func BenchmarkVerifyInProcess(b *testing.B) {
	f, token := benchToken(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := f.mod.verifier.Verify(context.Background(), token); err != nil || !res.Valid {
				b.Errorf("%+v %v", res, err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkVerifyRawRS256 is the floor: the RS256 signature check alone.
func BenchmarkVerifyRawRS256(b *testing.B) {
	f, token := benchToken(b)
	h, _ := segments(b, token)
	pub, ok := f.mod.keys.PublicKey(context.Background(), h["kid"].(string))
	if !ok {
		b.Fatal("no key")
	}
	cut := strings.LastIndexByte(token, '.')
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sig, _ := base64.RawURLEncoding.DecodeString(token[cut+1:])
			sum := sha256.Sum256([]byte(token[:cut]))
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

package certification

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
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

// BenchmarkVerifyJWTReference is the harness's reference (bench/cmd/load):
// golang-jwt parses and verifies the token into map claims, nothing more.
func BenchmarkVerifyJWTReference(b *testing.B) {
	f, token := benchToken(b)
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}))
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if pub, ok := f.mod.keys.PublicKey(context.Background(), kid); ok {
			return pub, nil
		}
		return nil, errors.New("unknown kid")
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := parser.Parse(token, keyfunc); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkVerifyHandler runs POST /v1/certificates/verify through the whole
// Fiber stack (middleware, body, verifier, answer) without a network, so
// changes to the request path show apart from the kernel's share.
func BenchmarkVerifyHandler(b *testing.B) {
	f, token := benchToken(b)
	handler := f.App.Handler()
	body, _ := json.Marshal(map[string]string{"token": token})
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.Header.SetMethod(fiber.MethodPost)
		req.SetRequestURI("/v1/certificates/verify")
		req.Header.SetContentType(fiber.MIMEApplicationJSON)
		req.SetBodyRaw(body)
		for pb.Next() {
			ctx.Init(&req, nil, nil)
			ctx.ResetUserValues() // as the server does between requests
			handler(&ctx)
			if ctx.Response.StatusCode() != fiber.StatusOK || !bytes.Contains(ctx.Response.Body(), []byte(`"valid":true`)) {
				b.Errorf("verify answered %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkVerifyUncached verifies a certificate not verified in the last
// recordTTL, as most real verifications are: each reads the record from the
// database.
func BenchmarkVerifyUncached(b *testing.B) {
	f, token := benchToken(b)
	v := f.mod.verifier
	ctx := context.Background()
	id, ok := v.certificateID(verifyURLOf(b, token))
	if !ok {
		b.Fatal("no certificate id in the token")
	}
	for b.Loop() {
		v.Forget(id)
		if res, err := v.Verify(ctx, token); err != nil || !res.Valid {
			b.Fatalf("%+v %v", res, err)
		}
	}
	reportRate(b)
}

// verifyURLOf reads the credential id (the verify URL) of a token.
func verifyURLOf(tb testing.TB, token string) string {
	_, payload := segments(tb, token)
	s, _ := payload["id"].(string)
	return s
}

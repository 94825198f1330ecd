package learners_test

import (
	"encoding/json"
	"testing"

	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/learners"
)

// BenchmarkProgressDecode measures the server's own work on a 500-event body
// before the database: strict JSON decoding, the NUL check and validation.
func BenchmarkProgressDecode(b *testing.B) {
	lessons := []string{"6f1c2a4e-8b1d-4c1e-9a57-2f0b9e3c1d01", "6f1c2a4e-8b1d-4c1e-9a57-2f0b9e3c1d02", "6f1c2a4e-8b1d-4c1e-9a57-2f0b9e3c1d03"}
	body, err := json.Marshal(benchBatches(1, 500, lessons)[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var batch learners.ProgressBatch
		if err := web.DecodeJSON(body, &batch); err != nil {
			b.Fatal(err)
		}
		if err := batch.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

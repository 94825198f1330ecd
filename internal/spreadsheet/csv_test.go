package spreadsheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/internal/spreadsheet"
)

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := spreadsheet.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{
		{"name", "note"},
		{"Ada, Lovelace", `say "hi"`},
		{"=HYPERLINK(\"x\")", "+1"},
		{"-2+A1", "@SUM(A1)"},
		{"-2", "-0.5"},
		{"\tx", "\rx"},
		{"multi\nline", "Zoë"},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	t.Run("starts with a byte order mark", func(t *testing.T) {
		if !strings.HasPrefix(out, "\uFEFF") {
			t.Fatalf("no BOM: %q", out[:10])
		}
	})
	t.Run("lines end with CRLF and commas and quotes are quoted", func(t *testing.T) {
		want := "name,note\r\n\"Ada, Lovelace\",\"say \"\"hi\"\"\"\r\n"
		if !strings.HasPrefix(strings.TrimPrefix(out, "\uFEFF"), want) {
			t.Fatalf("got %q", out)
		}
	})
	t.Run("reads back with formula cells neutralised", func(t *testing.T) {
		got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"name", "note"},
			{"Ada, Lovelace", `say "hi"`},
			{"'=HYPERLINK(\"x\")", "'+1"},
			{"'-2+A1", "'@SUM(A1)"},
			{"-2", "-0.5"}, // a negative number stays a number
			{"'\tx", "'x"}, // with CRLF line ends encoding/csv drops a lone CR; the prefix stays
			{"multi\nline", "Zoë"},
		}
		if len(got) != len(want) {
			t.Fatalf("got %d rows, want %d: %q", len(got), len(want), got)
		}
		for i := range want {
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Errorf("row %d cell %d = %q, want %q", i, j, got[i][j], want[i][j])
				}
			}
		}
	})
}

func TestSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"=1+1", "'=1+1"}, {"+", "'+"}, {"-x", "'-x"},
		{"@a", "'@a"}, {"\ta", "'\ta"}, {"\ra", "'\ra"}, {"a=b", "a=b"}, {" =x", " =x"},
		{"-20", "-20"}, {"-0.5", "-0.5"}, {"-", "'-"}, {"-.5", "'-.5"}, {"-5.", "'-5."},
		{"-1.2.3", "'-1.2.3"}, {"-2+3", "'-2+3"}, {"-1e5", "'-1e5"}, {"-Inf", "'-Inf"},
		{"-1,2", "'-1,2"},
	} {
		if got := spreadsheet.Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

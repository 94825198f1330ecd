package main

import (
	"strings"
	"testing"
)

func TestRoundsSummary(t *testing.T) {
	one := []result{{Scenario: "a", Round: 1, Ratio: 0.5, Met: true}}
	if got := roundsSummary(one); got != "" {
		t.Errorf("one round: want no summary, got %q", got)
	}
	three := []result{
		{Scenario: "a", Round: 1, Ratio: 0.2, Target: "≥ 0.3"}, {Scenario: "b", Round: 1, Ratio: 9, Met: true},
		{Scenario: "a", Round: 2, Ratio: 0.5, Met: true, Target: "≥ 0.3"}, {Scenario: "b", Round: 2, Ratio: 7, Met: true},
		{Scenario: "a", Round: 3, Ratio: 0.4, Met: true, Target: "≥ 0.3"}, {Scenario: "b", Round: 3, Ratio: 8, Met: true},
	}
	got := roundsSummary(three)
	for _, want := range []string{"| a | 2 of 3 | 0.4 | 0.2, 0.5, 0.4 | ≥ 0.3 |", "| b | 3 of 3 | 8 | 9, 7, 8 |"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "| a |") > strings.Index(got, "| b |") {
		t.Errorf("scenarios out of run order:\n%s", got)
	}
	md := run{Results: three}.markdown()
	if !strings.Contains(md, "| a (round 1) |") || !strings.Contains(md, "| b (round 3) |") {
		t.Errorf("rows do not name their round:\n%s", md)
	}
}

func TestMedianRounds(t *testing.T) {
	in := []result{{Scenario: "a", Round: 1, Ratio: 0.2}, {Scenario: "b", Round: 1, Ratio: 5},
		{Scenario: "a", Round: 2, Ratio: 0.5}, {Scenario: "a", Round: 3, Ratio: 0.4}}
	got := medianRounds(in)
	if len(got) != 2 || got[0].Scenario != "a" || got[0].Round != 3 || got[1].Scenario != "b" {
		t.Fatalf("got %+v, want a's round 3 (ratio 0.4) then b", got)
	}
}

func TestCPUCell(t *testing.T) {
	for _, tc := range []struct {
		ours, ref *measurement
		want      string
	}{
		{&measurement{ServerCPUms: 0.15, LoadCPUms: 0.07}, &measurement{LoadCPUms: 0.093},
			"0.150 ms server, 0.070 ms load (reference: 0.093 ms load)"},
		{&measurement{ServerCPUms: 0.2}, &measurement{ServerCPUms: 0.1, LoadCPUms: 0.05},
			"0.200 ms server (reference: 0.100 ms server, 0.050 ms load)"},
		{&measurement{LoadCPUms: 0.01}, nil, "0.010 ms load"},
		{&measurement{}, &measurement{}, ""},
	} {
		if got := cpuCell(tc.ours, tc.ref); got != tc.want {
			t.Errorf("cpuCell = %q, want %q", got, tc.want)
		}
	}
}

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

package functioning

import (
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

func TestDisabilityCutOff(t *testing.T) {
	none := Answers{NoDifficulty, NoDifficulty, SomeDifficulty, NoDifficulty, NoDifficulty, SomeDifficulty}
	with := func(f func(a *Answers)) Answers { a := none; f(&a); return a }
	tests := []struct {
		name string
		a    Answers
		want string
	}{
		{"no or some difficulty everywhere", none, DisabilityNo},
		{"a lot of difficulty walking", with(func(a *Answers) { a.Walking = ALotOfDifficulty }), DisabilityYes},
		{"cannot see at all", with(func(a *Answers) { a.Seeing = CannotDoAtAll }), DisabilityYes},
		{"a refusal", with(func(a *Answers) { a.SelfCare = PreferNotToSay }), DisabilityNotStated},
		{"a refusal and a difficulty", with(func(a *Answers) { a.SelfCare = PreferNotToSay; a.Hearing = CannotDoAtAll }), DisabilityYes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Disability(); got != tt.want {
				t.Fatalf("Disability() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpdateCheck(t *testing.T) {
	yes, no := true, false
	full := Answers{NoDifficulty, NoDifficulty, NoDifficulty, NoDifficulty, NoDifficulty, NoDifficulty}
	tests := []struct {
		name string
		u    Update
		want []string
	}{
		{"consent alone", Update{Consent: &yes}, nil},
		{"withdrawal alone", Update{Consent: &no}, nil},
		{"answers with consent", Update{Consent: &yes, Answers: &full}, nil},
		{"answers while withdrawing", Update{Consent: &no, Answers: &full}, []string{"functioning"}},
		{"a missing and an unknown answer", Update{Answers: &Answers{Seeing: "blind", Hearing: NoDifficulty, Walking: NoDifficulty,
			Cognition: NoDifficulty, SelfCare: NoDifficulty}}, []string{"functioning.seeing", "functioning.communication"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v cc.Validation
			tt.u.Check(&v)
			if len(v.Fields) != len(tt.want) {
				t.Fatalf("fields %+v, want %v", v.Fields, tt.want)
			}
			for i, f := range v.Fields {
				if f.Field != tt.want[i] {
					t.Fatalf("fields %+v, want %v", v.Fields, tt.want)
				}
			}
		})
	}
}

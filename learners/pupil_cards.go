package learners

import (
	"net/url"

	"github.com/cybercampus/cybercampus/certification"
)

// Sign-in cards are cut from A4 sheets: two columns of four cards.
const (
	cardW, cardH     = 90.0, 66.0
	cardCols         = 2
	cardRows         = 4
	cardLeft, cardTp = 12.0, 14.0
	cardGap          = 6.0
	cardQR           = 30.0
)

// signInAddress is where pupils sign in; the QR code carries the username so
// that scanning it leaves only the password to type.
func signInAddress(baseURL string) string { return baseURL + "/app" }

func signInLink(baseURL, username string) string {
	return signInAddress(baseURL) + "?username=" + url.QueryEscape(username)
}

// renderSignInCards draws one card per pupil: the pupil's name, username, the
// cohort's name and the sign-in address as text and as a QR code. Passwords
// are never printed here: a trainer hands them out when they are made or reset.
func renderSignInCards(h Cohort, pupils []CardPupil, baseURL string) ([]byte, error) {
	s := certification.NewSheet("Sign-in cards: " + h.Name)
	if len(pupils) == 0 {
		s.AddPage()
		s.Text(cardLeft, cardTp+10, 12, 180, false, "No pupil accounts in "+h.Name+" yet.")
		return s.Bytes()
	}
	for i, p := range pupils {
		slot := i % (cardCols * cardRows)
		if slot == 0 {
			s.AddPage()
		}
		x := cardLeft + float64(slot%cardCols)*(cardW+cardGap)
		y := cardTp + float64(slot/cardCols)*(cardH+cardGap)
		if err := drawCard(s, x, y, h.Name, p, baseURL); err != nil {
			return nil, err
		}
	}
	return s.Bytes()
}

func drawCard(s *certification.Sheet, x, y float64, cohort string, p CardPupil, baseURL string) error {
	s.Box(x, y, cardW, cardH)
	textW := cardW - cardQR - 10
	s.Text(x+5, y+9, 9, cardW-10, false, cohort)
	s.Text(x+5, y+20, 14, textW, true, p.Name)
	s.Text(x+5, y+30, 9, textW, false, "Username:")
	s.Text(x+5, y+36, 12, textW, true, p.Username)
	s.Text(x+5, y+48, 9, cardW-10, false, "Sign in at:")
	s.Text(x+5, y+54, 10, cardW-10, false, signInAddress(baseURL))
	return s.QR(x+cardW-cardQR-4, y+12, cardQR, signInLink(baseURL, p.Username))
}

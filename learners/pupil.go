package learners

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	cc "github.com/cybercampus/cybercampus"
)

// Consent bases a trainer may record for pupils' accounts: a parent's or
// guardian's consent collected by the school, or the school's own lawful
// basis (a public task or a contract with the school).
const (
	ConsentGuardian = "guardian"
	ConsentSchool   = "school"
)

// maxPupilsPerRequest bounds one batch of pupil accounts: a class or two,
// and one short transaction (each password is hashed on the way).
const maxPupilsPerRequest = 60

// maxConsentNote bounds the consent note; the schema holds the same limit.
const maxConsentNote = 1000

// PupilsRequest is the body of POST /v1/cohorts/{id}/learners.
type PupilsRequest struct {
	Consent struct {
		Basis string `json:"basis"`
		Note  string `json:"note"`
	} `json:"consent"`
	Learners []NewPupil `json:"learners"`
}

// NewPupil is one pupil to make an account for. The birth year is used for
// the age band and then dropped.
type NewPupil struct {
	Name      string `json:"name"`
	Gender    string `json:"gender"`
	BirthYear int    `json:"birth_year"`
}

// Validate normalises the request and reports every bad field, pupils'
// fields by position (learners[2].name).
func (r *PupilsRequest) Validate() error {
	r.Consent.Note = strings.TrimSpace(r.Consent.Note)
	var v cc.Validation
	v.Check(r.Consent.Basis == ConsentGuardian || r.Consent.Basis == ConsentSchool, "consent.basis", "must be guardian or school")
	v.Check(utf8.RuneCountInString(r.Consent.Note) <= maxConsentNote, "consent.note", "must be at most %d characters", maxConsentNote)
	v.Check(printableNote(r.Consent.Note), "consent.note", "must not contain control characters other than line breaks")
	v.Check(len(r.Learners) > 0, "learners", "must list at least one pupil")
	v.Check(len(r.Learners) <= maxPupilsPerRequest, "learners", "must list at most %d pupils; send several requests", maxPupilsPerRequest)
	if len(r.Learners) > maxPupilsPerRequest {
		return v.Err()
	}
	now := time.Now().UTC().Year()
	for i := range r.Learners {
		p := &r.Learners[i]
		p.Name = strings.TrimSpace(p.Name)
		f := fmt.Sprintf("learners[%d].", i)
		v.Check(p.Name != "", f+"name", "is required")
		v.Check(utf8.RuneCountInString(p.Name) <= 200, f+"name", "must be at most 200 characters")
		v.Check(cc.Printable(p.Name), f+"name", "must not contain control characters")
		v.Check(cc.OneOf(p.Gender, cc.Genders), f+"gender", "must be one of female, male, other, undisclosed")
		v.Check(p.BirthYear >= now-25 && p.BirthYear <= now-3, f+"birth_year", "must be a year from %d to %d", now-25, now-3)
	}
	return v.Err()
}

func printableNote(s string) bool {
	return cc.Printable(strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(s))
}

// CreatedPupil is one account made by POST /v1/cohorts/{id}/learners; the
// password is shown this once and stored only as a hash.
type CreatedPupil struct {
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// Pupil usernames are adjective-animal-NN: readable aloud, easy to type,
// unique (a clash draws again), and saying nothing about the child.
var usernameAdjectives = strings.Fields(`brave bright calm clever cool eager fair fast gentle glad
	golden happy jolly keen kind lively lucky merry mighty neat nimble noble proud quick
	quiet rapid shiny silver smart snappy sunny swift tidy tiny witty wise zesty bold
	busy cheery cosy daring dreamy fancy fluffy frosty giant grand hardy humble jazzy
	lofty mellow misty nifty peppy plucky polite rosy rusty sandy sleek spry steady sturdy`)

var usernameAnimals = strings.Fields(`ant bat bear bee bison camel cat cobra crab crane deer dingo
	dog dolphin duck eagle eel elk emu falcon ferret finch fox frog gecko goat goose
	gull hare hawk hedgehog heron horse ibis koala lark lemur lion llama lynx mole moose
	mouse newt otter owl panda parrot pelican penguin pony puffin quail rabbit raven robin
	seal shark sheep sloth snail sparrow swan tiger toad turtle walrus whale wolf wombat yak zebra`)

// passwordWords are short common words a child can read and type. A pupil's
// password is four of them, drawn at random from at least 256 distinct words
// (a test holds that): at least 32 bits, which the
// per-account sign-in limit (LOGIN_FAILURES_PER_ACCOUNT per 15 minutes)
// leaves far beyond reach of online guessing, while a nine-year-old can copy
// it from a card.
var passwordWords = strings.Fields(`acorn apple arm baby back bag ball band bank barn bath bean
	bell belt bike bird boat body bone book boot bowl box boy bread brick bus cake
	calf camp cane cap car card cart cave chair chalk chin city clay clock cloud coat
	coin comb cone cook corn cow crow cub cup dart desk dice dish door dot drum dust
	ear egg elf farm fern field fig film fire fish flag flute foot fork frog game
	gate gift glue goal gold grape grass gull hair hall hand hat hay hen hill hive
	home hook horn hose hut ice ink jam jar jelly jet job juice kettle key kite
	knee lamb lamp lane leaf leg lemon lid lily lime lion lock log map mask mat
	melon milk mint mitt moon moss mug nail nest net nose note nut oak oar orange
	oven owl page pail paint pan park path peach pear pen pie pig pin pipe plate
	plum pond pony pot puppy quilt rain rake rice ring river road rock roof room
	rope rose sail salt sand seed shell ship shoe shop sink sky sled snow sock
	soup spoon star stick stone sun swing table tail tent tiger toe tooth town toy
	train tree truck tulip van vase wagon wall wand water wave well whale wheel
	wind wing wolf wool yard yarn zoo bun duck fan gum hug kid mop pea rug
	tub web zip apron badge bench brush cabin candy chess clown comet crown
	daisy fairy feather flower garden ghost honey igloo jacket kitten ladder magnet
	mango medal mitten muffin noodle ocean panda pencil pepper pillow pizza puzzle
	rabbit robot rocket salad scarf sheep spider sugar teapot tomato violin window`)

// randomIndex draws an index below n from the system's secure source.
func randomIndex(n int) (int, error) {
	k, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(k.Int64()), nil
}

func randomWord(words []string) (string, error) {
	i, err := randomIndex(len(words))
	if err != nil {
		return "", err
	}
	return words[i], nil
}

// newUsername draws adjective-animal-NN; digits widens the number when the
// short forms clash too often.
func newUsername(digits int) (string, error) {
	adj, err := randomWord(usernameAdjectives)
	if err != nil {
		return "", err
	}
	animal, err := randomWord(usernameAnimals)
	if err != nil {
		return "", err
	}
	limit := 1
	for range digits {
		limit *= 10
	}
	n, err := randomIndex(limit)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%0*d", adj, animal, digits, n), nil
}

// passwordWordCount is how many words make a pupil's password.
const passwordWordCount = 4

// newPupilPassword draws a password of short common words.
func newPupilPassword() (string, error) {
	words := make([]string, passwordWordCount)
	for i := range words {
		w, err := randomWord(passwordWords)
		if err != nil {
			return "", err
		}
		words[i] = w
	}
	return strings.Join(words, "-"), nil
}

// CardPupil is what a sign-in card shows.
type CardPupil struct {
	Name     string `db:"name"`
	Username string `db:"username"`
}

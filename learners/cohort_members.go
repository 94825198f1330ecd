package learners

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/accounts"
)

// maxMemberRows bounds one member upload so it stays one short transaction.
const maxMemberRows = 10000

func tooManyRows() error {
	return cc.Errorf(cc.ETOOLARGE, "At most %d members can be added at once; split the list.", maxMemberRows)
}

// memberList is the distinct valid emails of an upload and its unusable lines.
type memberList struct {
	emails []string // trimmed, first spelling of each address
	seen   map[string]bool
	errors []LineError
}

// add records one line's email: a bad address is a line error, a repeated one
// (in any letter case) is counted once.
func (l *memberList) add(line int, email string) {
	email = strings.TrimSpace(email)
	var v cc.Validation
	accounts.ValidateEmail(&v, email)
	if len(v.Fields) > 0 {
		l.errors = append(l.errors, LineError{Line: line, Error: "email " + v.Fields[0].Message})
		return
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if key := strings.ToLower(email); !l.seen[key] {
		l.seen[key] = true
		l.emails = append(l.emails, email)
	}
}

// memberEmails reads a JSON list; line numbers are 1-based positions.
func memberEmails(emails []string) memberList {
	var l memberList
	for i, e := range emails {
		l.add(i+1, e)
	}
	return l
}

// utf8BOM is the byte order mark spreadsheet programs put before UTF-8 CSV.
var utf8BOM = []byte("\xEF\xBB\xBF")

// memberCSV reads a CSV upload: a header row with an email column in any
// position (any letter case) and optionally other columns, then one member
// per line. Unreadable lines are reported by line number (the header is line
// 1) and the rest are used; a file without an email column is a 422.
func memberCSV(body []byte) (memberList, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	if !utf8.Valid(body) {
		return memberList{}, cc.Errorf(cc.EBADREQUEST, "The file is not UTF-8 text; save it as CSV UTF-8.")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return memberList{}, csvFieldError(fmt.Sprintf("the file must start with a header row that has an email column (%s)", readError(err)))
	}
	col := -1
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "email") {
			col = i
			break
		}
	}
	if col < 0 {
		return memberList{}, csvFieldError("the header row has no email column")
	}
	return memberRows(r, col)
}

func memberRows(r *csv.Reader, col int) (memberList, error) {
	var l memberList
	for rows := 0; ; rows++ {
		if rows >= maxMemberRows {
			if _, err := r.Read(); err != io.EOF {
				return memberList{}, tooManyRows()
			}
			return l, nil
		}
		rec, err := r.Read()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return l, nil
		case errors.As(err, &pe):
			l.errors = append(l.errors, LineError{Line: pe.StartLine, Error: pe.Err.Error()})
			continue
		case err != nil:
			return memberList{}, err
		}
		line, _ := r.FieldPos(0)
		if col >= len(rec) || strings.TrimSpace(rec[col]) == "" {
			l.errors = append(l.errors, LineError{Line: line, Error: "email is missing"})
			continue
		}
		l.add(line, rec[col])
	}
}

func readError(err error) string {
	if err == io.EOF {
		return "the file is empty"
	}
	return err.Error()
}

func csvFieldError(msg string) error {
	return cc.FieldErr(cc.EINVALID, "The member list cannot be read: "+msg+".", "email", msg)
}

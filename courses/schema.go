package courses

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	cc "github.com/cybercampus/cybercampus"
)

// SchemaJSON is the JSON Schema of the course document (course.schema.json).
//
//go:embed course.schema.json
var SchemaJSON []byte

const schemaURL = "https://cybercampus.org/schemas/course.schema.json"

// documentSchema is compiled once: the schema is part of the binary, so a
// failure to compile it is a build defect.
var documentSchema = mustCompileSchema()

func mustCompileSchema() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		panic(fmt.Sprintf("course.schema.json: %v", err))
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		panic(fmt.Sprintf("course.schema.json: %v", err))
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		panic(fmt.Sprintf("course.schema.json: %v", err))
	}
	return s
}

var printer = message.NewPrinter(language.English)

// schemaProblems validates a JSON document against the course JSON Schema and
// returns every failure as a path in the document and a message.
func schemaProblems(raw []byte) []cc.FieldError {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []cc.FieldError{{Field: "body", Message: "is not a JSON document"}}
	}
	err = documentSchema.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []cc.FieldError
	flattenSchemaError(ve, inst, &out)
	return out
}

func flattenSchemaError(e *jsonschema.ValidationError, inst any, out *[]cc.FieldError) {
	path := instancePath(inst, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, cc.FieldError{Field: joinPath(path, name), Message: "is required"})
		}
		return
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, cc.FieldError{Field: joinPath(path, name), Message: "is not a field of the course document format"})
		}
		return
	case *kind.PropertyNames:
		// The semantic checks report unknown languages and keys with a better
		// message, and this kind's instance location is unreliable.
		return
	case *kind.FalseSchema:
		*out = append(*out, cc.FieldError{Field: path, Message: "is not allowed here"})
		return
	case *kind.Contains:
		*out = append(*out, cc.FieldError{Field: path, Message: "no correct option"})
		return
	}
	if len(e.Causes) == 0 {
		*out = append(*out, cc.FieldError{Field: orBody(path), Message: e.ErrorKind.LocalizedString(printer)})
		return
	}
	for _, c := range e.Causes {
		flattenSchemaError(c, inst, out)
	}
}

// instancePath renders a JSON pointer's tokens as modules[2].quiz.key, walking
// the instance to tell array indexes from object keys that look like numbers.
func instancePath(inst any, tokens []string) string {
	var b strings.Builder
	cur := inst
	for _, t := range tokens {
		switch v := cur.(type) {
		case []any:
			b.WriteString("[" + t + "]")
			if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(v) {
				cur = v[i]
			}
		case map[string]any:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(t)
			cur = v[t]
		default:
			b.WriteString("." + t)
		}
	}
	return b.String()
}

func joinPath(path, name string) string {
	if name == "" { // an empty key still needs a visible name in the problem
		name = `""`
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

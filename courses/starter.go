package courses

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
)

// starterFS holds the starter curriculum shipped in the binary.
//
//go:embed starter/*.yaml
var starterFS embed.FS

// starterFile is one embedded starter course document.
type starterFile struct {
	Name string
	Body []byte
}

// starterFiles returns the embedded starter documents in name order.
func starterFiles() ([]starterFile, error) {
	names, err := fs.Glob(starterFS, "starter/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list starter curriculum: %w", err)
	}
	out := make([]starterFile, 0, len(names))
	for _, n := range names {
		b, err := starterFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		out = append(out, starterFile{Name: path.Base(n), Body: b})
	}
	return out, nil
}

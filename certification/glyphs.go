package certification

import (
	"encoding/binary"
	"errors"
	"sync"
	"unicode"
)

// The PDF library draws only Basic Multilingual Plane characters (its font
// maps are 65,536 entries long and a character beyond them panics), and a
// character its font has no glyph for prints as nothing useful. So before a
// line is drawn every character is checked against the cmap of the font its
// run would use: one another embedded font has moves to that font; one no
// embedded font has (an emoji, a script we ship no font for) is drawn as a
// visible placeholder; invisible format characters (variation selectors,
// joiners left after shaping) are dropped.

// bmpSet is a set of Basic Multilingual Plane characters.
type bmpSet [65536 / 8]byte

func (s *bmpSet) add(r rune)      { s[r>>3] |= 1 << (r & 7) }
func (s *bmpSet) has(r rune) bool { return r >= 0 && r <= 0xFFFF && s[r>>3]&(1<<(r&7)) != 0 }

// errNoCmap means a font has no Unicode BMP (format 4) character map.
var errNoCmap = errors.New("font has no Unicode format 4 cmap")

// readCoverage returns the characters a TrueType font maps to a glyph other
// than .notdef, read from its Unicode BMP cmap subtable (format 4).
func readCoverage(ttf []byte) (*bmpSet, error) {
	cmap, ok := ttfTable(ttf, "cmap")
	if !ok || len(cmap) < 4 {
		return nil, errNoCmap
	}
	n := int(binary.BigEndian.Uint16(cmap[2:]))
	for i := range n {
		rec := 4 + i*8
		if rec+8 > len(cmap) {
			break
		}
		platform, encoding := binary.BigEndian.Uint16(cmap[rec:]), binary.BigEndian.Uint16(cmap[rec+2:])
		off := int(binary.BigEndian.Uint32(cmap[rec+4:]))
		if (platform == 3 && encoding == 1 || platform == 0) && off+2 <= len(cmap) && binary.BigEndian.Uint16(cmap[off:]) == 4 {
			return format4(cmap[off:])
		}
	}
	return nil, errNoCmap
}

// ttfTable returns the named table of a TrueType font.
func ttfTable(ttf []byte, tag string) ([]byte, bool) {
	if len(ttf) < 12 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := range n {
		rec := 12 + i*16
		if rec+16 > len(ttf) {
			return nil, false
		}
		if string(ttf[rec:rec+4]) != tag {
			continue
		}
		off, length := int(binary.BigEndian.Uint32(ttf[rec+8:])), int(binary.BigEndian.Uint32(ttf[rec+12:]))
		if off < 0 || length < 0 || off+length > len(ttf) {
			return nil, false
		}
		return ttf[off : off+length], true
	}
	return nil, false
}

// format4 reads a segment-mapping cmap subtable (OpenType spec, cmap format 4)
// as the PDF library does: only within the subtable's 16-bit length, which a
// large font's table outgrows. A glyph it cannot find is one it cannot draw.
func format4(t []byte) (*bmpSet, error) {
	if len(t) < 14 {
		return nil, errNoCmap
	}
	if n := int(binary.BigEndian.Uint16(t[2:])); n < len(t) {
		t = t[:n]
	}
	segs := int(binary.BigEndian.Uint16(t[6:])) / 2
	ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
	if ranges+2*segs > len(t) {
		return nil, errNoCmap
	}
	u16 := func(at int) int {
		if at < 0 || at+2 > len(t) {
			return 0
		}
		return int(binary.BigEndian.Uint16(t[at:]))
	}
	set := new(bmpSet)
	for i := range segs {
		end, start, delta, ro := u16(ends+2*i), u16(starts+2*i), u16(deltas+2*i), u16(ranges+2*i)
		for c := start; c <= end && c < 0xFFFF; c++ {
			glyph := (c + delta) & 0xFFFF
			if ro != 0 {
				if glyph = u16(ranges + 2*i + ro + 2*(c-start)); glyph != 0 {
					glyph = (glyph + delta) & 0xFFFF
				}
			}
			if glyph != 0 {
				set.add(rune(c))
			}
		}
	}
	return set, nil
}

// coverages holds what each script's font can draw, read once.
var coverages = sync.OnceValue(func() map[script]*bmpSet {
	out, byFile := map[script]*bmpSet{}, map[string]*bmpSet{}
	for sc, f := range fontFiles {
		if set, ok := byFile[f.file]; ok {
			out[sc] = set
			continue
		}
		b, err := fonts.ReadFile(f.file)
		if err != nil {
			continue
		}
		if set, err := readCoverage(b); err == nil {
			out[sc], byFile[f.file] = set, set
		}
	}
	return out
})

// fallbackOrder is the order fonts are tried for a character its run's font lacks.
var fallbackOrder = []script{scriptLatin, scriptFallback, scriptCJK, scriptArabic, scriptDevanagari}

// placeholder is drawn for a character no embedded font has: the Unicode
// replacement character where Noto Sans has it, else a question mark.
func placeholder() rune {
	if c := coverages()[scriptLatin]; c != nil && c.has(unicode.ReplacementChar) {
		return unicode.ReplacementChar
	}
	return '?'
}

// invisible reports format characters that draw nothing: joiners, variation
// selectors, tags and the like. They are dropped when no font has them.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// continuesCluster reports characters that belong to the character before
// them (an emoji modifier, a combining mark, the second flag letter): when
// that one became a placeholder they add no second one.
func continuesCluster(r, prev rune) bool {
	return r >= 0x1F3FB && r <= 0x1F3FF || unicode.Is(unicode.M, r) ||
		unicode.Is(unicode.Regional_Indicator, r) && unicode.Is(unicode.Regional_Indicator, prev)
}

// drawable rewrites runs so that every character is drawn by a font that has
// it, or as a placeholder. Runs keep their visual order.
func drawable(runs []run) []run {
	cov := coverages()
	var out []run
	emit := func(sc script, r rune) {
		if n := len(out); n > 0 && out[n-1].script == sc {
			out[n-1].text += string(r)
			return
		}
		out = append(out, run{sc, string(r)})
	}
	for _, ru := range runs {
		var prev rune
		placed := false // the last character drawn was a placeholder
		for _, r := range ru.text {
			sc, ok := fontFor(cov, ru.script, r)
			switch {
			case placed && (invisible(r) || continuesCluster(r, prev) || prev == zwj):
				// part of the sequence the placeholder already stands for
			case ok:
				emit(sc, r)
				placed = false
			case invisible(r):
				// draws nothing, and no font has it
			default:
				emit(scriptLatin, placeholder())
				placed = true
			}
			prev = r
		}
	}
	return out
}

// fontFor returns the script whose font draws r: the run's own when it has
// the glyph, else the first fallback that has it.
func fontFor(cov map[script]*bmpSet, sc script, r rune) (script, bool) {
	if c := cov[sc]; c != nil && c.has(r) {
		return sc, true
	}
	if r == ' ' {
		return sc, true
	}
	for _, f := range fallbackOrder {
		if c := cov[f]; c != nil && c.has(r) {
			return f, true
		}
	}
	return sc, false
}

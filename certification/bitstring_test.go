package certification

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
)

// decodeBitstring reverses EncodeBitstring, as a verifier reads a status
// list; decoding stops at 16 MiB, which no list of ours reaches.
func decodeBitstring(encoded string) ([]byte, error) {
	if len(encoded) == 0 || encoded[0] != 'u' {
		return nil, errors.New("encoded list lacks the multibase base64url prefix")
	}
	z, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 1<<24))
}

// bitSet reports whether index i is set in a decoded bitstring.
func bitSet(bits []byte, i int) bool {
	return i >= 0 && i/8 < len(bits) && bits[i/8]&(0x80>>(i%8)) != 0
}

package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// documentID checks that body is a single JSON object and returns its
// top-level "id"; where names the request in errors. The object is walked key by key rather than unmarshalled
// into a struct: encoding/json matches struct fields case-insensitively and
// keeps the last of duplicate keys, so {"id": A, "ID": B} or {"id": A,
// "id": B} could be checked as one id and read by another parser as the
// other. Such documents are refused.
func documentID(body []byte, where string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrMalformed, where, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("%w: %s: not a JSON object", ErrMalformed, where)
	}
	var id string
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrMalformed, where, err)
		}
		key, _ := tok.(string) // Inside an object, Token returns keys as strings.
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrMalformed, where, err)
		}
		if !strings.EqualFold(key, "id") {
			continue
		}
		if seen || key != "id" {
			return "", fmt.Errorf("%w: %s: more than one id key", ErrIDMismatch, where)
		}
		seen = true
		if err := json.Unmarshal(value, &id); err != nil || id == "" {
			return "", fmt.Errorf("%w: %s: id is not a non-empty string", ErrIDMismatch, where)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "", fmt.Errorf("%w: %s: %w", ErrMalformed, where, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%w: %s: data after the object", ErrMalformed, where)
	}
	if !seen {
		return "", fmt.Errorf("%w: %s: document has no id", ErrIDMismatch, where)
	}
	return id, nil
}

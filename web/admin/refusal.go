package admin

import (
	"errors"

	"github.com/tadamun/tadamun/federation"
)

// refusalText is a refusal of the federation service (federation.Refusal)
// as an interface message: its catalogue key and data, translated into the
// editor's language when the page is drawn (with the plural form and the
// numerals of that language). ok is false for an error without a key, which
// is shown in English as it has always been.
func refusalText(err error) (m uiText, ok bool) {
	var r *federation.Refusal
	if !errors.As(err, &r) || r.Key == "" {
		return uiText{}, false
	}
	return uiText{key: r.Key, args: r.Args}, true
}

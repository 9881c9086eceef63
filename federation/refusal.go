package federation

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Refusal is an ErrInvalid error that an editor can read in their own
// language. Its Error is the English the CLI prints (unchanged, "invalid:
// ..."); Key and Args are the same refusal as a message of the interface
// catalogues (web/i18n/locales), which the admin translates when it draws
// the page. Key is the English sentence with its verbs, as every catalogue
// key is: the format with a capital and a full stop.
type Refusal struct {
	// Key is the message key: "@%s does not follow %s."
	Key string
	// Args are the data of Key's verbs, in order.
	Args []any
	// text is the English reason, without the "invalid: " prefix.
	text string
	// cause is another error the refusal wraps (storage.ErrConflict), or
	// nil; its text is added in brackets to Error, not to Key.
	cause error
}

// Error is the English refusal, as it has always read.
func (r *Refusal) Error() string {
	s := ErrInvalid.Error() + ": " + r.text
	if r.cause != nil {
		s += " (" + r.cause.Error() + ")"
	}
	return s
}

// Unwrap gives ErrInvalid, and the wrapped cause when there is one, so that
// errors.Is(err, ErrInvalid) holds for every refusal.
func (r *Refusal) Unwrap() []error {
	if r.cause != nil {
		return []error{ErrInvalid, r.cause}
	}
	return []error{ErrInvalid}
}

// reject is invalid for a refusal an editor can meet in the admin: the
// same English text, with its key (the format as a sentence) and args kept
// for translation.
func reject(format string, args ...any) error {
	return &Refusal{Key: sentence(format), Args: args, text: fmt.Sprintf(format, args...)}
}

// rejectAbout is reject for a refusal about a named part of a form
// ("display name", "avatar"): what replaces {what} in format before
// anything else, so each part is a sentence of its own for translators
// (an avatar and a header take different genders in French and Arabic).
func rejectAbout(what, format string, args ...any) error {
	return reject(strings.ReplaceAll(format, "{what}", what), args...)
}

// rejectWrapping is reject for a refusal that also wraps cause (callers
// test for it with errors.Is).
func rejectWrapping(cause error, format string, args ...any) error {
	r := reject(format, args...).(*Refusal)
	r.cause = cause
	return r
}

// sentence makes a refusal's format a sentence: a capital first letter
// and a full stop, as the admin has always shown refusals.
func sentence(format string) string {
	r, n := utf8.DecodeRuneInString(format)
	s := string(unicode.ToUpper(r)) + format[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

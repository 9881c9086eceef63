package federation

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tadamun/tadamun/federation/transport"
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

// keepText gives refusal (made by reject or rejectAbout) text as its
// English, for a refusal whose English has always carried another
// component's words: a parser's error, a transport error. Its key and data
// stay its own, so that the admin says the reason in the editor's language
// with only the data in it, while the CLI prints what it always has.
func keepText(refusal error, text string) error {
	r := refusal.(*Refusal)
	r.text = text
	return r
}

// oneOf is, of candidates, the refusal whose English is err's text, for an
// err from a component that words its own reasons (NormalizeDomain,
// content.NormalizeLanguage) without a sentinel for each; when none is,
// fallback with err's text as its English.
func oneOf(err, fallback error, candidates ...error) error {
	for _, c := range candidates {
		if c.(*Refusal).text == err.Error() {
			return c
		}
	}
	return keepText(fallback, err.Error())
}

// domainRefusal is NormalizeDomain's refusal (err) of raw, a message for
// each reason it gives.
func domainRefusal(raw string, err error) error {
	return oneOf(err, reject("%q is not a domain name such as social.example", raw),
		reject("not a domain name: %q", raw),
		reject("not a domain name: %q (give a host name such as social.example)", raw),
		reject("not a domain name: %q (give an international name in its xn-- form)", raw),
		reject("not a domain name: %q (give a host name such as social.example, without scheme, port or path)", raw))
}

// languageRefusal is content.NormalizeLanguage's refusal (err) of raw, a
// message for each reason it gives.
func languageRefusal(raw string, err error) error {
	code := strings.TrimSpace(raw)
	return oneOf(err, reject("%q is not a language code such as en, ar, ckb, fr", code),
		reject("language is missing (use a code such as en, ar, ckb, fr)"),
		reject("unknown language code %q (use a BCP 47 code such as en, ar, ckb, fr)", code),
		reject("language %q says nothing: use a real language code such as en, ar, ckb, fr", code))
}

// addressRefusal is the transport's refusal (err, from CheckURL) to fetch
// the actor URL who.
func addressRefusal(who string, err error) error {
	r := reject("%s is not an address this node fetches: give the http or https URL of an account", who)
	if errors.Is(err, transport.ErrPrivateAddress) {
		r = reject("%s is on a private or local network: this node fetches only from public servers", who)
	}
	return keepText(r, fmt.Sprintf("%s: %v", who, err))
}

// replyRefusal is why the post a statement answers (its in_reply_to) gave
// no author to send the statement to (err, from authorInbox).
func replyRefusal(reply string, err error) error {
	var r error
	var author *authorError
	switch {
	case errors.As(err, &author):
		// The post was found; its author's account could not be resolved
		// (gone, private, unreachable): not the post's own failure.
		r = reject("the post this answers, %s, could not be fetched or names no author to send the answer to", reply)
	case errors.Is(err, transport.ErrBadURL):
		r = reject("the post this answers, %s, is not an address this node fetches: give the http or https URL of a post", reply)
	case errors.Is(err, transport.ErrPrivateAddress):
		r = reject("the post this answers, %s, is on a private or local network: this node fetches only from public servers", reply)
	case errors.Is(err, transport.ErrNotFound), errors.Is(err, transport.ErrGone):
		r = reject("the post this answers, %s, is not found on its server", reply)
	default:
		r = reject("the post this answers, %s, could not be fetched or names no author to send the answer to", reply)
	}
	return keepText(r, fmt.Sprintf("in_reply_to %s: %v", reply, err))
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

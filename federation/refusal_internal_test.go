package federation

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

// refusalParts are the names rejectAbout writes into its formats ({what}),
// per format: each name makes a message of its own. TestRefusalKeys checks
// the names given to checkText and checkBody in the source against them.
var refusalParts = map[string][]string{
	"{what} is %d bytes long; the limit is %d bytes (about 15,000 words)": {"the text", "the translation's text"},
	"the {what} is not valid UTF-8":                                       {"display name", "summary", "field name", "field value"},
	"the {what} has more than %d characters":                              {"display name", "summary", "field name", "field value"},
	"the {what} holds control characters":                                 {"display name", "summary", "field name", "field value"},
	// profileImage: the two images of a profile.
	"the {what} image is too large (at most %d MB and %d megapixels)": {"avatar", "header"},
	"the {what} image %s is not a regular file":                       {"avatar", "header"},
	"the {what} is not an image: use JPEG, PNG, GIF or WebP":          {"avatar", "header"},
	"the {what} image %s does not exist":                              {"avatar", "header"},
	"the {what} image could not be read or converted":                 {"avatar", "header"},
}

// refusalFormats finds, in the package's source, the format of every call
// of reject, rejectAbout and rejectWrapping (with each part's name written
// in), and the literal names given to checkText and checkBody.
func refusalFormats(t *testing.T) (formats []string, parts map[string][]string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	parts = map[string][]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if d, ok := n.(*ast.FuncDecl); ok && name == "refusal.go" &&
				slices.Contains([]string{"reject", "rejectAbout", "rejectWrapping"}, d.Name.Name) {
				return false // the constructors themselves
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			at := -1
			switch fn.Name {
			case "reject":
				at = 0
			case "rejectAbout", "rejectWrapping", "checkText", "checkBody":
				at = 1
			}
			if at < 0 || len(call.Args) <= at {
				return true
			}
			if fn.Name == "checkText" || fn.Name == "checkBody" {
				if s, ok := stringConst(call.Args[0]); ok {
					parts[fn.Name] = append(parts[fn.Name], s)
				}
				return true
			}
			format, ok := stringConst(call.Args[at])
			if !ok {
				t.Errorf("%s: %s with a format that is not a constant", fset.Position(call.Pos()), fn.Name)
				return true
			}
			if fn.Name != "rejectAbout" {
				formats = append(formats, format)
				return true
			}
			names, ok := refusalParts[format]
			if !ok {
				t.Errorf("%s: rejectAbout(%q): add the names it is given to refusalParts", fset.Position(call.Pos()), format)
			}
			for _, n := range names {
				formats = append(formats, strings.ReplaceAll(format, "{what}", n))
			}
			return true
		})
	}
	return formats, parts
}

// stringConst is the value of a string literal, or of literals joined by +.
func stringConst(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringConst(e.X)
		b, ok2 := stringConst(e.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

var sampleVerb = regexp.MustCompile(`%[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// sampleArgs makes an argument for every verb of format: a count for %d,
// a word or an error for the others.
func sampleArgs(format string) []any {
	var args []any
	for _, m := range sampleVerb.FindAllStringSubmatch(format, -1) {
		switch m[1] {
		case "%":
		case "d":
			args = append(args, 11)
		case "v":
			args = append(args, errors.New("the reason 42"))
		default:
			args = append(args, "alice@social.example")
		}
	}
	return args
}

// TestRefusalKeys: every refusal an editor can meet keeps the English text
// it has always had (the CLI prints it; its tests compare it), is still an
// ErrInvalid, and carries a key that every shipped interface catalogue
// translates, with the data of its verbs.
func TestRefusalKeys(t *testing.T) {
	set, err := i18n.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	formats, parts := refusalFormats(t)
	if len(formats) < 60 {
		t.Fatalf("found only %d refusal formats in the source", len(formats))
	}
	for fn, formats := range map[string][]string{
		"checkText": {"the {what} is not valid UTF-8"},
		"checkBody": {"{what} is %d bytes long; the limit is %d bytes (about 15,000 words)"}} {
		for _, got := range parts[fn] {
			if !slices.Contains(refusalParts[formats[0]], got) {
				t.Errorf("%s(%q, ...): the name is missing from refusalParts", fn, got)
			}
		}
	}
	for _, format := range formats {
		args := sampleArgs(format)
		err := reject(format, args...)
		old := fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
		if err.Error() != old.Error() {
			t.Errorf("%q: Error() = %q, was %q", format, err.Error(), old.Error())
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: not an ErrInvalid", format)
		}
		var r *Refusal
		if !errors.As(err, &r) || r.Key == "" || len(r.Args) != len(args) {
			t.Errorf("%q: no key or data: %#v", format, err)
			continue
		}
		for _, l := range set.Languages() {
			if !set.Has(l.Tag, r.Key) {
				t.Errorf("%s.json lacks %q", l.Tag, r.Key)
				continue
			}
			// A translation differs from the English key; the English
			// prints without a verb left over.
			if got := set.UI(l.Tag).T(r.Key, r.Args...); strings.Contains(got, "%!") || l.Tag != "en" && got == r.Key {
				t.Errorf("%s: %q prints %q", l.Tag, r.Key, got)
			}
		}
	}
}

// TestRefusalWrapping: the relay conflict still reads as it did and is
// both ErrInvalid and storage.ErrConflict, with a key without the latter.
func TestRefusalWrapping(t *testing.T) {
	err := rejectWrapping(storage.ErrConflict, "@%s already relays %s", "cap", "https://p.example/1")
	old := fmt.Errorf("%w: @%s already relays %s (%w)", ErrInvalid, "cap", "https://p.example/1", storage.ErrConflict)
	if err.Error() != old.Error() {
		t.Errorf("Error() = %q, was %q", err.Error(), old.Error())
	}
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, storage.ErrConflict) {
		t.Errorf("%v: not both ErrInvalid and ErrConflict", err)
	}
	var r *Refusal
	if !errors.As(err, &r) || r.Key != "@%s already relays %s." {
		t.Errorf("key %q", r.Key)
	}
}

// TestProfileRefusal: a refusal made by the profile's checks names its part
// in its key and keeps the count as data.
func TestProfileRefusal(t *testing.T) {
	long := strings.Repeat("ب", MaxDisplayNameLength+1)
	err := applyProfile(&storage.Actor{Username: "x"}, ProfileUpdate{DisplayName: &long})
	want := fmt.Sprintf("invalid: the display name has more than %d characters", MaxDisplayNameLength)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	var r *Refusal
	if !errors.As(err, &r) || r.Key != "The display name has more than %d characters." ||
		!slices.Equal(r.Args, []any{MaxDisplayNameLength}) {
		t.Errorf("refusal %#v", r)
	}
}

// TestRefusalsWithoutForeignWords: a refusal whose English has always held
// another component's words (a domain or language parser's reason, a
// transport or imaging error) keeps that English for the CLI, while its key
// is a message of its own, one per reason, with only the data the editor
// gave (the domain, the code, the address, the file) as args.
func TestRefusalsWithoutForeignWords(t *testing.T) {
	dir := t.TempDir()
	words := dir + "/words.png"
	if err := os.WriteFile(words, []byte("these are words, not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := dir + "/missing.png"
	checked := func(raw string, check func(string) (string, error)) (error, string) {
		_, err := check(raw)
		if err == nil {
			t.Fatalf("%q was accepted", raw)
		}
		return err, ErrInvalid.Error() + ": " + err.Error()
	}
	type refusal struct {
		err  error  // the refusal as made now
		was  string // its English as it was
		key  string
		args []any
	}
	var cases []refusal
	for raw, key := range map[string]string{
		"":                              "Not a domain name: %q.",
		"bad..example":                  "Not a domain name: %q (give a host name such as social.example).",
		"حقوق.example":                  "Not a domain name: %q (give an international name in its xn-- form).",
		"https://bad.example/users/bob": "Not a domain name: %q (give a host name such as social.example, without scheme, port or path).",
	} {
		err, was := checked(raw, NormalizeDomain)
		cases = append(cases, refusal{domainRefusal(raw, err), was, key, []any{raw}})
	}
	for raw, key := range map[string]string{
		" ":       "Language is missing (use a code such as en, ar, ckb, fr).",
		"xx-!!":   "Unknown language code %q (use a BCP 47 code such as en, ar, ckb, fr).",
		" und ":   "Language %q says nothing: use a real language code such as en, ar, ckb, fr.",
		"english": "Unknown language code %q (use a BCP 47 code such as en, ar, ckb, fr).",
	} {
		err, was := checked(raw, content.NormalizeLanguage)
		var args []any
		if strings.TrimSpace(raw) != "" {
			args = []any{strings.TrimSpace(raw)}
		}
		cases = append(cases, refusal{languageRefusal(raw, err), was, key, args})
	}
	client := transport.New(transport.Config{})
	for addr, key := range map[string]string{
		"https://10.0.0.7/users/bob":       "%s is on a private or local network: this node fetches only from public servers.",
		"https://bob:pw@far.example/users": "%s is not an address this node fetches: give the http or https URL of an account.",
	} {
		_, err := client.CheckURL(addr)
		cases = append(cases, refusal{addressRefusal(addr, err), fmt.Sprintf("invalid: %s: %v", addr, err), key, []any{addr}})
	}
	const post = "https://far.example/notes/1"
	for err, key := range map[error]string{
		fmt.Errorf("%w: %s: scheme must be http or https", transport.ErrBadURL, post): "The post this answers, %s, is not an address this node fetches: give the http or https URL of a post.",
		fmt.Errorf("%w: %s is 10.0.0.7", transport.ErrPrivateAddress, post):           "The post this answers, %s, is on a private or local network: this node fetches only from public servers.",
		fmt.Errorf("fetch %s: %w", post, transport.ErrGone):                           "The post this answers, %s, is not found on its server.",
		fmt.Errorf("fetch %s: %w", post, transport.ErrNotFound):                       "The post this answers, %s, is not found on its server.",
		errors.New("the post names no author on its own host"):                        "The post this answers, %s, could not be fetched or names no author to send the answer to.",
		// The post was fetched but its author's account is gone: not "the
		// post is not found".
		&authorError{fmt.Errorf("fetch https://far.example/users/gone: %w", transport.ErrGone)}: "The post this answers, %s, could not be fetched or names no author to send the answer to.",
	} {
		cases = append(cases, refusal{replyRefusal(post, err), fmt.Sprintf("invalid: in_reply_to %s: %v", post, err), key, []any{post}})
	}
	for file, key := range map[string]string{
		words:   "The file %s is not an image: use JPEG, PNG, GIF or WebP.",
		missing: "Image %s does not exist.",
	} {
		_, err := readImages([]content.Image{{File: file}})
		src, rerr := readSource(file)
		if rerr == nil {
			_, rerr = imaging.Process(bytes.NewReader(src), MaxImageBytes)
		}
		was := fmt.Sprintf("invalid: image %s: %v", file, rerr)
		if file == words {
			was = fmt.Sprintf("invalid: image %s: use JPEG, PNG, GIF or WebP: %v", file, rerr)
		}
		cases = append(cases, refusal{err, was, key, []any{file}})
	}
	_, err := profileImage("header", missing, nil)
	_, rerr := os.Stat(missing)
	cases = append(cases, refusal{err, fmt.Sprintf("invalid: the header image: imaging: %v", rerr),
		"The header image %s does not exist.", []any{missing}})

	for _, c := range cases {
		if c.err == nil || c.err.Error() != c.was {
			t.Errorf("Error() = %v, was %q", c.err, c.was)
		}
		var r *Refusal
		if !errors.As(c.err, &r) || r.Key != c.key || !slices.Equal(r.Args, c.args) {
			t.Errorf("%q: refusal %#v, want key %q with %v", c.was, c.err, c.key, c.args)
		}
	}
}

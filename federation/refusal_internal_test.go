package federation

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

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
	"the {what} image: %v":                                            {"avatar", "header"},
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
		if strings.HasSuffix(name, "_test.go") || name == "refusal.go" {
			continue // refusal.go: the constructors themselves
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
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

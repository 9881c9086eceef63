package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The messages the interface uses are found in its source, so that a test
// can tell which ones a catalogue lacks (TestCataloguesComplete):
//
//   - in templates, every {{t "…"}} (and (t "…") inside an action);
//   - in Go, the string literal given to T, Message, flash (admin notices,
//     translated when shown), echo.NewHTTPError and httpErrorf (their
//     message becomes the error page's text), and the literals held by fields and variables
//     that reach Message: Error, FormError, msg;
//   - the words the code picks at run time: the HTTP status texts of error
//     pages and the statement states the admin interface names.

// runtimeKeys are messages chosen at run time, not written as literals.
var runtimeKeys = []string{"draft", "scheduled", "published", "deleted"}

// errorStatuses are the statuses the node answers with an HTML error page;
// their status texts are the pages' titles.
var errorStatuses = []int{
	http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
	http.StatusMethodNotAllowed, http.StatusNotAcceptable, http.StatusGone, http.StatusRequestEntityTooLarge,
	http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusServiceUnavailable,
}

// Key is one message of the interface and where it was first found.
type Key struct {
	Text  string
	Where string // file:line
}

// Keys lists the messages used by the Go files and templates of dirs
// (the web package and the admin interface), sorted, each once.
func Keys(dirs ...string) ([]Key, error) {
	found := map[string]string{}
	add := func(text, where string) {
		if !strings.ContainsFunc(text, unicode.IsLetter) {
			return // punctuation, not words
		}
		if _, ok := found[text]; !ok {
			found[text] = where
		}
	}
	for _, dir := range dirs {
		gos, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, f := range gos {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			if err := goKeys(f, add); err != nil {
				return nil, err
			}
		}
		htmls, err := filepath.Glob(filepath.Join(dir, "templates", "*.html"))
		if err != nil {
			return nil, err
		}
		for _, f := range htmls {
			if err := templateKeys(f, add); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range runtimeKeys {
		add(k, "runtime")
	}
	for _, code := range errorStatuses {
		add(http.StatusText(code), "HTTP status "+strconv.Itoa(code))
	}
	out := make([]Key, 0, len(found))
	for text, where := range found {
		out = append(out, Key{Text: text, Where: where})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Text < out[j].Text })
	return out, nil
}

// keyCalls maps a function name to the position of its message argument.
var keyCalls = map[string]int{"T": 0, "Message": 0, "flash": 1, "NewHTTPError": 1, "httpErrorf": 1}

// keyNames are fields and variables whose string literals are messages.
var keyNames = map[string]bool{"Error": true, "FormError": true, "msg": true}

func goKeys(file string, add func(text, where string)) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("i18n: keys: %w", err)
	}
	lit := func(e ast.Expr) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(b.Value)
		if err == nil {
			add(s, fset.Position(b.Pos()).String())
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if i, ok := keyCalls[name]; ok && i < len(n.Args) {
				lit(n.Args[i])
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok && keyNames[id.Name] {
				lit(n.Value)
			}
		case *ast.AssignStmt:
			if n.Tok != token.ASSIGN && n.Tok != token.DEFINE {
				break // msg += "." adds to a message, it is not one
			}
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && keyNames[id.Name] && i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) {
					lit(n.Rhs[i])
				}
			}
		}
		return true
	})
	return nil
}

var (
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	templateT      = regexp.MustCompile(`(?:\{\{-?|\(|\s)t\s+("(?:[^"\\]|\\.)*")`)
)

func templateKeys(file string, add func(text, where string)) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	src := string(b)
	for _, loc := range templateAction.FindAllStringIndex(src, -1) {
		for _, m := range templateT.FindAllStringSubmatch(src[loc[0]:loc[1]], -1) {
			s, err := strconv.Unquote(m[1])
			if err != nil {
				return fmt.Errorf("i18n: keys: %s: bad string %s", file, m[1])
			}
			add(s, fmt.Sprintf("%s:%d", file, 1+strings.Count(src[:loc[0]], "\n")))
		}
	}
	return nil
}

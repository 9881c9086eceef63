package storage

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLimitsAreBound fails for a query of the package that takes a LIMIT
// or OFFSET as a bare parameter ("LIMIT $3") or through arg() without
// bound(): on SQLite such a statement is planned anew whenever the value
// changes (see bound).
func TestLimitsAreBound(t *testing.T) {
	bare := regexp.MustCompile("(?i)(LIMIT|OFFSET)\\s+(\\$[0-9]+|` *\\+ *arg\\()")
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			if bare.MatchString(line) {
				t.Errorf("%s:%d: a bare LIMIT/OFFSET parameter; write it with bound(): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d source files read", checked)
	}
}

package main

import (
	"strings"

	"github.com/tadamun/tadamun/federation"
)

func newActor(username, name, summary, typ, langs string) federation.NewActor {
	na := federation.NewActor{Username: username, DisplayName: name, Summary: summary, Type: typ}
	for _, l := range strings.Split(langs, ",") {
		if l = strings.TrimSpace(l); l != "" {
			na.Languages = append(na.Languages, l)
		}
	}
	return na
}

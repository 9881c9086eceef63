package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// publishCmd is "tadamun publish FILE.md".
func publishCmd(fs *flag.FlagSet) runFunc {
	actor := fs.String("actor", "", "username of the publishing actor (required)")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one FILE.md")
		}
		if *actor == "" {
			return usagef("--actor is required")
		}
		d, err := readStatementFile(args[0])
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			s, err := fed.Publish(ctx, *actor, d)
			if err != nil {
				return err
			}
			switch {
			case s.State == storage.StateDraft:
				fmt.Fprintf(a.stderr, "draft %s: not published; when the file says draft: false, publish it with 'tadamun statement edit %s FILE.md'\n", s.ID, s.ID)
			case s.State != storage.StatePublished:
				fmt.Fprintf(a.stderr, "%s: visible from %s\n", s.State, s.PublishedAt.Format("2006-01-02 15:04 MST"))
			}
			fmt.Fprintln(a.stdout, fed.StatementURL(s))
			return nil
		})
	}
}

// statementListCmd is "tadamun statement list".
func statementListCmd(fs *flag.FlagSet) runFunc {
	actor := fs.String("actor", "", "only this actor's statements")
	limit := fs.Int("limit", 50, "how many")
	return func(ctx context.Context, a *app, args []string) error {
		return a.withStore(ctx, func(st *storage.Store) error {
			q := storage.StatementQuery{Limit: *limit}
			if *actor != "" {
				ac, err := st.ActorByUsername(ctx, *actor)
				if err != nil {
					return fmt.Errorf("no actor %q", *actor)
				}
				q.ActorID = ac.ID
			}
			list, err := st.ListStatements(ctx, q)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tPUBLISHED\tLANG\tACTOR\tTITLE")
			for _, s := range list {
				when := "-"
				if s.PublishedAt != nil {
					when = s.PublishedAt.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, when, s.Language, s.ActorUsername, cell(s.Title))
			}
			return w.Flush()
		})
	}
}

// statementEditCmd is "tadamun statement edit ID FILE.md".
func statementEditCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give the statement ID and FILE.md")
		}
		d, err := readStatementFile(args[1])
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			s, err := fed.Edit(ctx, args[0], d)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, fed.StatementURL(s))
			return nil
		})
	}
}

// statementTranslateCmd is "tadamun statement translate ID FILE.md".
func statementTranslateCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give the statement ID and FILE.md")
		}
		d, err := readStatementFile(args[1])
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			s, err := fed.Translate(ctx, args[0], d)
			if err != nil {
				return err
			}
			lang, _ := content.NormalizeLanguage(d.Language)
			fmt.Fprintln(a.stdout, fed.IRI().StatementPage(s.ActorUsername, s.Slug, lang))
			return nil
		})
	}
}

// statementDeleteCmd is "tadamun statement delete ID".
func statementDeleteCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one statement ID (see 'tadamun statement list')")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			s, err := a.federation(st).DeleteStatement(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "deleted %s\n", s.ID)
			return nil
		})
	}
}

// readStatementFile reads a Markdown file with front matter; image paths
// are taken relative to the file.
func readStatementFile(path string) (*content.Draft, error) {
	src, err := readRegularFile(path, maxInputFile)
	if err != nil {
		return nil, err
	}
	d, err := content.ParseStatementFile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, im := range d.Images {
		if !filepath.IsAbs(im.File) {
			d.Images[i].File = filepath.Join(filepath.Dir(path), im.File)
		}
	}
	return d, nil
}

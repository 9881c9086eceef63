package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/tadamun/tadamun/storage"
)

// userCreateCmd is "tadamun user create NAME".
func userCreateCmd(fs *flag.FlagSet) runFunc {
	role := fs.String("role", "", "admin or editor (required)")
	pwFile := fs.String("password-file", "", "read the password from this file's first line instead of prompting")
	actors := fs.String("actors", "", "for an editor: the actors (usernames, comma-separated) they work on")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one NAME")
		}
		if *role != storage.RoleAdmin && *role != storage.RoleEditor {
			return usagef("--role must be admin or editor")
		}
		names, err := actorNames(*role, *actors)
		if err != nil {
			return err
		}
		if !storage.ValidUsername(args[0]) {
			return usagef("user name %q: use 1 to 30 lower-case letters, digits or _", args[0])
		}
		pw, err := readPassword(a, *pwFile)
		if err != nil {
			return err
		}
		hash, err := storage.HashPassword(pw)
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			return st.Tx(ctx, func(tx *storage.Store) error {
				ids, err := actorIDs(ctx, tx, names)
				if err != nil {
					return err
				}
				u := &storage.User{Username: args[0], PasswordHash: hash, Role: *role}
				if err := tx.CreateUser(ctx, u); err != nil {
					if errors.Is(err, storage.ErrConflict) {
						return fmt.Errorf("user %q already exists", args[0])
					}
					return err
				}
				if err := tx.SetUserActors(ctx, u.ID, ids); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "created %s %s%s\n", u.Role, u.Username, actorsSuffix(names))
				return nil
			})
		})
	}
}

// readPassword reads from --password-file, or prompts twice on a terminal.
func readPassword(a *app, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", errors.Unwrap(err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		// Not a terminal: read one line, so scripts can pipe a password in.
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", usagef("no password: type it at the prompt, pipe it on stdin, or use --password-file")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(a.stderr, "Password: ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(a.stderr, "Again: ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(p1) != string(p2) {
		return "", errors.New("the two passwords differ")
	}
	return string(p1), nil
}

// actorNames parses --actors: a comma-separated list of actor usernames,
// given only to editors (admins work on every actor).
func actorNames(role, list string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) > 0 && role == storage.RoleAdmin {
		return nil, usagef("--actors is for editors: an admin works on every actor")
	}
	return names, nil
}

// actorIDs looks up actors by username; an unknown one is an error that
// names it.
func actorIDs(ctx context.Context, st *storage.Store, names []string) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, n := range names {
		ac, err := st.ActorByUsername(ctx, n)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("no actor %q (see 'tadamun actor list')", n)
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, ac.ID)
	}
	return ids, nil
}

func actorsSuffix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (actors: " + strings.Join(names, ", ") + ")"
}

// userByName returns the user or an error that names the missing user.
func userByName(ctx context.Context, st *storage.Store, name string) (*storage.User, error) {
	u, err := st.UserByUsername(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("no user %q (see 'tadamun user list')", name)
	}
	return u, err
}

// lastAdmin turns the storage refusal into words for the operator.
func lastAdmin(err error, name string) error {
	if errors.Is(err, storage.ErrLastAdmin) {
		return fmt.Errorf("%s is the last admin: make another user admin first", name)
	}
	return err
}

// userListCmd is "tadamun user list".
func userListCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 0 {
			return usagef("user list takes no arguments")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			users, err := st.ListUsers(ctx)
			if err != nil {
				return err
			}
			actors, err := st.ListActors(ctx)
			if err != nil {
				return err
			}
			byID := make(map[string]string, len(actors))
			for _, ac := range actors {
				byID[ac.ID] = ac.Username
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "USERNAME\tROLE\tACTORS\tCREATED\tDISABLED")
			for _, u := range users {
				acts := "(all)"
				if u.Role != storage.RoleAdmin {
					ids, err := st.UserActors(ctx, u.ID)
					if err != nil {
						return err
					}
					var names []string
					for _, id := range ids {
						names = append(names, byID[id])
					}
					acts = strings.Join(names, ",")
					if acts == "" {
						acts = "-"
					}
				}
				disabled := "-"
				if u.DisabledAt != nil {
					disabled = u.DisabledAt.UTC().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", cell(u.Username), u.Role, cell(acts),
					u.CreatedAt.UTC().Format("2006-01-02 15:04"), disabled)
			}
			return w.Flush()
		})
	}
}

// userPasswdCmd is "tadamun user passwd NAME".
func userPasswdCmd(fs *flag.FlagSet) runFunc {
	pwFile := fs.String("password-file", "", "read the password from this file's first line instead of prompting")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one NAME")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			// Look the user up before asking for a password nobody can use.
			u, err := userByName(ctx, st, args[0])
			if err != nil {
				return err
			}
			pw, err := readPassword(a, *pwFile)
			if err != nil {
				return err
			}
			hash, err := storage.HashPassword(pw)
			if err != nil {
				return err
			}
			if err := st.SetPassword(ctx, u.ID, hash); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "changed the password of %s; every session of theirs is signed out\n", u.Username)
			return nil
		})
	}
}

// userRoleCmd is "tadamun user role NAME admin|editor".
func userRoleCmd(fs *flag.FlagSet) runFunc {
	actors := fs.String("actors", "", "for an editor: the actors (usernames, comma-separated) they work on; replaces the previous ones")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give a NAME and a role (admin or editor)")
		}
		role := args[1]
		if role != storage.RoleAdmin && role != storage.RoleEditor {
			return usagef("role must be admin or editor, not %q", role)
		}
		actorsSet := false
		fs.Visit(func(f *flag.Flag) { actorsSet = actorsSet || f.Name == "actors" })
		names, err := actorNames(role, *actors)
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			return st.Tx(ctx, func(tx *storage.Store) error {
				u, err := userByName(ctx, tx, args[0])
				if err != nil {
					return err
				}
				ids, err := actorIDs(ctx, tx, names)
				if err != nil {
					return err
				}
				if err := tx.SetRole(ctx, u.ID, role); err != nil {
					return lastAdmin(err, u.Username)
				}
				if actorsSet {
					if err := tx.SetUserActors(ctx, u.ID, ids); err != nil {
						return err
					}
				}
				fmt.Fprintf(a.stdout, "%s is now %s%s\n", u.Username, role, actorsSuffix(names))
				return nil
			})
		})
	}
}

// userDeleteCmd is "tadamun user delete NAME".
func userDeleteCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one NAME")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			u, err := userByName(ctx, st, args[0])
			if err != nil {
				return err
			}
			if err := st.DeleteUser(ctx, u.ID); err != nil {
				return lastAdmin(err, u.Username)
			}
			fmt.Fprintf(a.stdout, "deleted %s %s (signed out)\n", u.Role, u.Username)
			return nil
		})
	}
}

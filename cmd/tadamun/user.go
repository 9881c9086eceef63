package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/tadamun/tadamun/storage"
)

// userCreateCmd is "tadamun user create NAME".
func userCreateCmd(fs *flag.FlagSet) runFunc {
	role := fs.String("role", "", "admin or editor (required)")
	pwFile := fs.String("password-file", "", "read the password from this file's first line instead of prompting")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one NAME")
		}
		if *role != storage.RoleAdmin && *role != storage.RoleEditor {
			return usagef("--role must be admin or editor")
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
			u := &storage.User{Username: args[0], PasswordHash: hash, Role: *role}
			if err := st.CreateUser(ctx, u); err != nil {
				if errors.Is(err, storage.ErrConflict) {
					return fmt.Errorf("user %q already exists", args[0])
				}
				return err
			}
			fmt.Fprintf(a.stdout, "created %s %s\n", u.Role, u.Username)
			return nil
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

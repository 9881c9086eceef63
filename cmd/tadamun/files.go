package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// maxInputFile bounds what the CLI reads from a file the operator names (a
// statement, a configuration, a password): far above any real one, far below
// what would hurt.
const maxInputFile = 4 << 20

// readRegularFile reads a whole regular file of at most max bytes. A device
// such as /dev/zero, a FIFO or a directory is refused before it is read: a
// FIFO would block forever and /dev/zero would read until memory runs out.
// The cap is on the bytes read, not on the size the file reports (files in
// /proc report 0).
func readRegularFile(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot read %s: not a regular file", path)
	}
	// O_NONBLOCK: if the path was swapped for a FIFO after the Stat, the
	// open does not wait for a writer; the second Stat then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	if fi2, err := f.Stat(); err != nil || !os.SameFile(fi, fi2) || !fi2.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot read %s: it changed while it was opened", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("cannot read %s: larger than %d bytes", path, max)
	}
	return b, nil
}

package imaging

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ProcessFile processes the image at path (see Process). The path must
// name a regular file (or a symbolic link to one): a device such as
// /dev/zero would be read without end, and a FIFO would block until
// something wrote to it. It is opened non-blocking, so that a FIFO put in
// its place between the check and the open cannot hang the open, and the
// file opened is checked again. Reading stops at maxBytes whatever length
// the file reports, since a file may grow while it is read.
func ProcessFile(path string, maxBytes int64) (*Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	if fi.Size() > maxBytes {
		return nil, fmt.Errorf("%w: %s has more than %d bytes", ErrTooLarge, path, maxBytes)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	defer f.Close()
	if fi2, err := f.Stat(); err != nil || !fi2.Mode().IsRegular() || !os.SameFile(fi, fi2) {
		return nil, fmt.Errorf("%w: %s (it changed while it was opened)", ErrNotRegular, path)
	}
	return Process(io.Reader(f), maxBytes)
}

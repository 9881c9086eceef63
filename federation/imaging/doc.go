// Package imaging owns what happens to a picture between the editor's file
// and the media directory. Every image the node publishes goes through
// Process, which decodes it and encodes a fresh file, so that nothing of the
// original but its pixels survives: no EXIF (with the GPS position, the
// camera's serial number, the photographer's name), no XMP, no IPTC, no PNG
// text chunks, no WebP metadata chunks. People photographed at a protest can
// be put at risk by any of these.
//
// Process also refuses images whose header promises more than MaxPixels
// before anything is allocated for them, turns the picture upright as its
// EXIF orientation says, scales it down to MaxSide on its long side, and
// computes the BlurHash that Mastodon shows while the image loads.
// ProcessFile reads an image from a path with the same care for what the
// path may name (a device, a FIFO, a file that grows).
package imaging

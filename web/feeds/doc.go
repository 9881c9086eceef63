// Package feeds renders the node's syndication feeds: RSS 2.0, Atom 1.0
// (RFC 4287) and JSON Feed 1.1. It owns the bytes of a feed and nothing
// else: the web layer turns storage statements into Feed and Item values,
// calls RSS, Atom or JSON, and serves the result with the matching
// Content-Type constant and its own ETag and Last-Modified.
//
// The core of each format comes from github.com/gorilla/feeds. Where that
// library cannot say what feed readers need, this package wraps the
// library's XML and JSON structs (embedding them and adding or shadowing
// fields) rather than writing the formats from scratch; each wrapper says
// why it exists. In short:
//
//   - RSS items carry the plain-text lead in <description> and the full HTML
//     in <content:encoded>, a non-permalink <guid> holding the ActivityPub id,
//     one <category> per hashtag, <dc:creator> for the author (RSS's own
//     <author> must be an e-mail address), <dc:language> per item (RSS has
//     only a channel language, and readers need the item's to set text
//     direction for Arabic or Sorani), <atom:updated> when the item was
//     edited, the first image as <enclosure> (RSS allows one) and every
//     image as Media RSS <media:content> with its alt text. The channel
//     carries <atom:link rel="self">.
//   - Atom entries carry xml:lang, <published>, every hashtag as
//     <category term>, a text-typed <summary>, and each image as a
//     rel="enclosure" link whose title is the alt text. The feed has both
//     its alternate and self links and its icon.
//   - JSON Feed items carry language, tags and every image as an attachment
//     with size_in_bytes (gorilla/feeds spells the field "size", which no
//     reader knows), and the items array is present even when empty, as the
//     specification requires.
//
// Content warnings: an item with a ContentWarning never shows its body
// openly. Its summary is the warning itself, and its content is
//
//	<p><strong>Content warning: WARNING</strong></p><details><summary>Show</summary>BODY</details>
//
// so readers that render HTML details (most web and desktop readers) keep the
// body folded, and those that do not still show the warning first. The
// item's images are moved inside that details element instead of being
// offered as enclosures, media or attachments: readers show those as
// thumbnails beside the item, which would reveal exactly what the warning
// hides.
//
// Output is deterministic: the same input always gives the same bytes (times
// are rendered in UTC to the second, items keep the order given), so feeds
// can be compared with golden files and cached by hash. Text is cleaned of
// characters XML 1.0 forbids (control characters, invalid UTF-8), and all
// non-ASCII text, Arabic and Kurdish included, is written as UTF-8, not as
// character references.
package feeds

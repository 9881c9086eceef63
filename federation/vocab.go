package federation

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Helpers that make go-fed's generated vocabulary less verbose to build.
// Every document we emit is built from go-fed types and serialized with
// streams.Serialize; the few terms go-fed v1.0.0 has no type for
// (sensitive, manuallyApprovesFollowers, endpoints, Hashtag, PropertyValue,
// indexable) are added as extension properties by withExtensions, and the
// @context is replaced by one fixed context that defines them.

// PublicAddress is the special collection of ActivityStreams that means "everyone".
const PublicAddress = "https://www.w3.org/ns/activitystreams#Public"

// ContentType is the media type of every ActivityPub document we serve or send.
const ContentType = "application/activity+json"

// ldContext is the @context of every document we emit: ActivityStreams, the
// security vocabulary (publicKey), and the extension terms Mastodon and its
// peers use, each mapped to its IRI.
var ldContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"sensitive":                 "as:sensitive",
		"Hashtag":                   "as:Hashtag",
		"alsoKnownAs":               map[string]string{"@id": "as:alsoKnownAs", "@type": "@id"},
		"movedTo":                   map[string]string{"@id": "as:movedTo", "@type": "@id"},
		"toot":                      "http://joinmastodon.org/ns#",
		"featured":                  map[string]string{"@id": "toot:featured", "@type": "@id"},
		"discoverable":              "toot:discoverable",
		"indexable":                 "toot:indexable",
		"blurhash":                  "toot:blurhash",
		"schema":                    "http://schema.org#",
		"PropertyValue":             "schema:PropertyValue",
		"value":                     "schema:value",
	},
}

func mustIRI(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		// Our own IRIs are built from validated parts; a failure is a bug.
		panic(fmt.Sprintf("federation: bad IRI %q: %v", s, err))
	}
	return u
}

func idProp(s string) vocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(mustIRI(s))
	return p
}

func nameProp(s string) vocab.ActivityStreamsNameProperty {
	p := streams.NewActivityStreamsNameProperty()
	p.AppendXMLSchemaString(s)
	return p
}

func summaryProp(s string) vocab.ActivityStreamsSummaryProperty {
	p := streams.NewActivityStreamsSummaryProperty()
	p.AppendXMLSchemaString(s)
	return p
}

func urlProp(s string) vocab.ActivityStreamsUrlProperty {
	p := streams.NewActivityStreamsUrlProperty()
	p.AppendIRI(mustIRI(s))
	return p
}

func publishedProp(t time.Time) vocab.ActivityStreamsPublishedProperty {
	p := streams.NewActivityStreamsPublishedProperty()
	p.Set(t.UTC().Truncate(time.Second))
	return p
}

func updatedProp(t time.Time) vocab.ActivityStreamsUpdatedProperty {
	p := streams.NewActivityStreamsUpdatedProperty()
	p.Set(t.UTC().Truncate(time.Second))
	return p
}

func actorProp(s string) vocab.ActivityStreamsActorProperty {
	p := streams.NewActivityStreamsActorProperty()
	p.AppendIRI(mustIRI(s))
	return p
}

func attributedToProp(s string) vocab.ActivityStreamsAttributedToProperty {
	p := streams.NewActivityStreamsAttributedToProperty()
	p.AppendIRI(mustIRI(s))
	return p
}

func toProp(addrs ...string) vocab.ActivityStreamsToProperty {
	p := streams.NewActivityStreamsToProperty()
	for _, a := range addrs {
		p.AppendIRI(mustIRI(a))
	}
	return p
}

func ccProp(addrs ...string) vocab.ActivityStreamsCcProperty {
	p := streams.NewActivityStreamsCcProperty()
	for _, a := range addrs {
		p.AppendIRI(mustIRI(a))
	}
	return p
}

func objectIRIProp(s string) vocab.ActivityStreamsObjectProperty {
	p := streams.NewActivityStreamsObjectProperty()
	p.AppendIRI(mustIRI(s))
	return p
}

func totalItemsProp(n int) vocab.ActivityStreamsTotalItemsProperty {
	p := streams.NewActivityStreamsTotalItemsProperty()
	p.Set(n)
	return p
}

// extensible is a go-fed type whose unknown-properties map we can add to:
// go-fed serializes that map with the type's own properties.
type extensible interface {
	vocab.Type
	GetUnknownProperties() map[string]interface{}
}

// extend adds terms go-fed v1.0.0 has no type for (sensitive, Hashtag,
// endpoints, ...) to a go-fed value. Our own JSON is confined to these.
func extend(t extensible, ext map[string]any) {
	m := t.GetUnknownProperties()
	for k, v := range ext {
		m[k] = v
	}
}

// serialize turns a go-fed value into JSON with our fixed @context.
func serialize(t vocab.Type) ([]byte, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("federation: serialize %s: %w", t.GetTypeName(), err)
	}
	m["@context"] = ldContext
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("federation: encode %s: %w", t.GetTypeName(), err)
	}
	return b, nil
}

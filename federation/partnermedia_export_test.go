package federation

import (
	"context"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// Test hooks for partner media and backfill, with bounds a test can reach.

// SweepPartnerMediaWith is SweepPartnerMedia with its bounds given.
func (s *Service) SweepPartnerMediaWith(ctx context.Context, maxBytes int64, keepPosts int) error {
	return s.sweepPartnerMedia(ctx, maxBytes, keepPosts)
}

// PartnerAttachments exposes partnerAttachments.
func (s *Service) PartnerAttachments(ctx context.Context, obj map[string]any) []storage.RemoteAttachment {
	return s.partnerAttachments(ctx, obj)
}

// BackfillWithin is Backfill with its timeout given.
func (s *Service) BackfillWithin(ctx context.Context, remote *storage.RemoteActor, timeout time.Duration) (int, error) {
	return s.backfill(ctx, remote, timeout)
}

// ParseAttachments exposes parseAttachments.
var ParseAttachments = parseAttachments

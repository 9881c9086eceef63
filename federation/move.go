package federation

import (
	"context"

	"github.com/tadamun/tadamun/storage"
)

// onMove handles a remote actor's Move to a new address.
func (s *Service) onMove(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, raw map[string]any) error {
	return ignored{"Move is not handled yet"}
}

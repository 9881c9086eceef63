package storage

import (
	"context"
	"fmt"
	"time"
)

// A fan-out in two steps.
//
// EnqueueFollowerDeliveries queues an activity for every follower inbox in
// one statement, inside the publishing transaction: 10,000 followers on
// 1,000 servers took about 25 ms, and on SQLite that transaction holds the
// database's one write lock all along. Nothing else could write meanwhile
// (the inbox's group commits waited), and the delivery worker, whose claims
// are writes, could start posting only after it.
//
// StartFanOut, in the publishing transaction, queues the first fanOutFirst
// inboxes and records the fan-out in fanouts (migration 0015). Once that
// has committed and the worker is posting, FinishFanOuts reads the
// follower inboxes outside any transaction (a read does not wait for the
// writer, nor stop it) and queues the rest fanOutChunk at a time, each in a
// short transaction of its own, then deletes the record. Finishing is
// idempotent (an inbox already queued for the activity is skipped), so a
// record left by a crash is simply finished later, by anyone.

const (
	// fanOutFirst is how many follower inboxes the publishing transaction
	// queues: enough for the worker's first claims.
	fanOutFirst = 64
	// fanOutChunk is how many more one transaction of FinishFanOuts
	// queues: a few milliseconds of SQLite's write lock. (100 measured
	// the same in BenchmarkFanOutRatio, with more commits.)
	fanOutChunk = 250
	// fanOutRound is how many recorded fan-outs one round of
	// FinishFanOuts reads.
	fanOutRound = 16
)

// StartFanOut queues an activity for the first fanOutFirst distinct inboxes
// of actorID's accepted followers (as EnqueueFollowerDeliveries, whose rules
// it follows: shared inboxes first, hosts cut in SQL, refused hosts left
// out) and records the fan-out, to be finished by FinishFanOuts once the
// transaction has committed. Call it inside the transaction that stores the
// activity. It returns how many rows it queued.
func (s *Store) StartFanOut(ctx context.Context, activityID, signerActorID, actorID string, refuse func(host string) bool) (int, error) {
	total := 0
	err := s.Tx(ctx, func(tx *Store) error {
		now := s.now()
		var err error
		total, err = tx.enqueueFollowers(ctx, activityID, refuse, fanOutFirstInserts[s.dialect.name],
			actorID, activityID, signerActorID, now, fanOutFirst)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO fanouts (activity_id, signer_actor_id, actor_id, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (activity_id) DO NOTHING`, activityID, signerActorID, actorID, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storage: start fan-out of %s: %w", activityID, err)
	}
	return total, nil
}

// FinishFanOuts finishes the fan-outs recorded by StartFanOut before
// startedBefore, oldest first, fanOutRound at a time until none is left:
// every accepted follower's inbox not yet queued for the activity is
// queued, fanOutChunk rows per transaction, and the record is deleted.
// policy gives, inside each of those transactions, the test of a refused
// host as it stands then (nil refuses none), so that a domain blocked while
// a fan-out is being finished gets nothing queued after its block. It
// returns how many rows it queued, and the first error; a fan-out that
// fails stays recorded for the next call, and the others go on. A fan-out
// whose activity was deleted meanwhile has lost its record with it.
func (s *Store) FinishFanOuts(ctx context.Context, startedBefore time.Time, policy FanOutPolicy) (int, error) {
	total := 0
	var firstErr error
	failed := map[string]bool{}
	for round := 0; round < fanOutRounds; round++ {
		list, err := s.recordedFanOuts(ctx, startedBefore, failed)
		if err != nil {
			return total, err
		}
		for _, f := range list {
			n, err := s.finishFanOut(ctx, f.activity, f.signer, f.actor, policy)
			total += n
			if err != nil {
				failed[f.activity] = true
				if firstErr == nil {
					firstErr = fmt.Errorf("storage: finish fan-out of %s: %w", f.activity, err)
				}
			}
		}
		if len(list) < fanOutRound {
			break
		}
	}
	return total, firstErr
}

// FanOutPolicy reads, inside a transaction, which hosts a fan-out leaves
// out.
type FanOutPolicy func(ctx context.Context, tx *Store) (refuse func(host string) bool, err error)

// fanOutRounds bounds the rounds of one FinishFanOuts call.
const fanOutRounds = 64

type recordedFanOut struct{ activity, signer, actor string }

// recordedFanOuts lists up to fanOutRound recorded fan-outs, oldest first,
// leaving out those in skip.
func (s *Store) recordedFanOuts(ctx context.Context, startedBefore time.Time, skip map[string]bool) ([]recordedFanOut, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT activity_id, signer_actor_id, actor_id FROM fanouts
		WHERE created_at < $1 ORDER BY created_at, activity_id LIMIT `+bound("$2"), startedBefore, fanOutRound+len(skip))
	if err != nil {
		return nil, fmt.Errorf("storage: finish fan-outs: %w", err)
	}
	defer rows.Close()
	var list []recordedFanOut
	for rows.Next() {
		var f recordedFanOut
		if err := rows.Scan(&f.activity, &f.signer, &f.actor); err != nil {
			return nil, fmt.Errorf("storage: finish fan-outs: %w", err)
		}
		if !skip[f.activity] && len(list) < fanOutRound {
			list = append(list, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: finish fan-outs: %w", err)
	}
	return list, nil
}

func (s *Store) finishFanOut(ctx context.Context, activityID, signerActorID, actorID string, policy FanOutPolicy) (int, error) {
	boxes, err := s.queryStrings(ctx, "follower inboxes", followerBoxes[s.dialect.name], actorID)
	if err != nil {
		return 0, err
	}
	total := 0
	for start := 0; start < len(boxes); start += fanOutChunk {
		chunk := boxes[start:min(start+fanOutChunk, len(boxes))]
		err := s.TxRelaxed(ctx, func(tx *Store) error {
			keep := chunk
			if policy != nil {
				refuse, err := policy(ctx, tx)
				if err != nil {
					return err
				}
				if refuse != nil {
					keep = make([]string, 0, len(chunk))
					for _, box := range chunk {
						if !refuse(InboxHost(box)) {
							keep = append(keep, box)
						}
					}
				}
			}
			n, err := tx.EnqueueDeliveries(ctx, activityID, signerActorID, keep)
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM fanouts WHERE activity_id = $1`, activityID); err != nil {
		return total, err
	}
	return total, nil
}

// followerBoxes reads the distinct inboxes of an actor's accepted
// followers, as the fan-out's INSERT does ($1 the actor).
var followerBoxes = map[string]string{
	"sqlite": `SELECT DISTINCT CASE WHEN r.shared_inbox <> '' THEN r.shared_inbox ELSE r.inbox END
		FROM followers f JOIN remote_actors r INDEXED BY remote_actors_inboxes_idx ON r.id = f.remote_actor_id
		WHERE f.actor_id = $1 AND f.state = 'accepted' AND r.inbox <> ''`,
	"postgres": `SELECT DISTINCT CASE WHEN r.shared_inbox <> '' THEN r.shared_inbox ELSE r.inbox END
		FROM followers f JOIN remote_actors r ON r.id = f.remote_actor_id
		WHERE f.actor_id = $1 AND f.state = 'accepted' AND r.inbox <> ''`,
}

package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/storage"
)

// deliveriesCmd is "tadamun deliveries [--retry HOST|all]".
func deliveriesCmd(fs *flag.FlagSet) runFunc {
	retry := fs.String("retry", "", "make failed deliveries to HOST (or 'all') due now")
	return func(ctx context.Context, a *app, args []string) error {
		return a.withStore(ctx, func(st *storage.Store) error {
			if *retry != "" {
				host := *retry
				if host == "all" {
					host = ""
				}
				n, err := st.RetryDeliveries(ctx, host)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d deliveries due now\n", n)
				return nil
			}
			stats, err := st.DeliveryStats(ctx)
			if err != nil {
				return err
			}
			printDeliveryStats(a, stats)
			return nil
		})
	}
}

func printDeliveryStats(a *app, st *storage.DeliveryStats) {
	fmt.Fprintf(a.stdout, "pending %d (in flight %d)   delivered %d   failed %d\n", st.Pending, st.Leased, st.Done, st.Failed)
	if st.OldestPending != nil {
		fmt.Fprintf(a.stdout, "oldest pending since %s\n", st.OldestPending.Format("2006-01-02 15:04:05 MST"))
	}
	if len(st.Hosts) == 0 {
		return
	}
	fmt.Fprintln(a.stdout)
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tPENDING\tFAILED\tON HOLD SINCE\tLAST ERROR")
	for _, h := range st.Hosts {
		hold := "-"
		if h.UnavailableSince != nil {
			hold = h.UnavailableSince.Format("2006-01-02 15:04")
		}
		last := h.LastError
		if h.LastStatus != 0 {
			last = fmt.Sprintf("%d %s", h.LastStatus, last)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", cell(h.Host), h.Pending, h.Failed, hold, cell(last))
	}
	w.Flush()
}

package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// reportRow is one report (Flag) as the reports page shows it.
type reportRow struct {
	*storage.ListedReport
	Domain string // of the reporter, "" when it is forgotten
	Actor  string // the username of our actor reported, if any
}

// reportsData is the content of the reports page.
type reportsData struct {
	Resolved bool
	Reports  []reportRow
	Cap      int
}

// reportsPage lists the reports received, open ones first
// (?resolved=1 for the resolved ones).
func (h *Handler) reportsPage(c echo.Context) error {
	resolved := c.QueryParam("resolved") == "1"
	ctx := c.Request().Context()
	list, err := h.store.ListReports(ctx, resolved, networkListCap)
	if err != nil {
		return fmt.Errorf("admin: reports: %w", err)
	}
	actors, err := h.store.ListActors(ctx)
	if err != nil {
		return fmt.Errorf("admin: reports: %w", err)
	}
	names := map[string]string{}
	for _, a := range actors {
		names[a.ID] = a.Username
	}
	d := reportsData{Resolved: resolved, Cap: networkListCap}
	for _, r := range list {
		d.Reports = append(d.Reports, reportRow{ListedReport: r, Domain: authorDomain(r.Reporter), Actor: names[r.ActorID]})
	}
	return h.render(c, http.StatusOK, "network_reports", h.ui(c).T("Reports"), d)
}

// reportFor returns the report named by the route.
func (h *Handler) reportFor(c echo.Context) (*storage.ListedReport, error) {
	r, err := h.store.ReportByID(c.Request().Context(), c.Param("id"))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such report.")
	}
	if err != nil {
		return nil, fmt.Errorf("admin: report: %w", err)
	}
	return r, nil
}

// resolveReport marks a report as dealt with.
func (h *Handler) resolveReport(c echo.Context) error {
	r, err := h.reportFor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = h.store.ResolveReport(ctx, r.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return echo.NewHTTPError(http.StatusConflict, "This report is already resolved.")
	}
	if err != nil {
		return fmt.Errorf("admin: resolve report: %w", err)
	}
	h.log.InfoContext(ctx, "admin report resolved", "user", currentUser(c).Username, "report", r.ID)
	h.flash(c, "The report is resolved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminReports)
}

// blockReportDomain blocks the reporter's domain (as "tadamun domain
// block") and resolves the report.
func (h *Handler) blockReportDomain(c echo.Context) error {
	r, err := h.reportFor(c)
	if err != nil {
		return err
	}
	d := authorDomain(r.Reporter)
	if d == "" {
		return echo.NewHTTPError(http.StatusConflict, "The reporter is no longer known here; block its domain on the domains page.")
	}
	ctx := c.Request().Context()
	if _, err := h.fed.SetDomainPolicy(ctx, d, storage.PolicyBlock, "report "+r.ActivityIRI); err != nil {
		return networkRefusal(err)
	}
	if err := h.store.ResolveReport(ctx, r.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("admin: resolve report: %w", err)
	}
	h.log.InfoContext(ctx, "admin blocked a reporter's domain", "user", currentUser(c).Username, "domain", d, "report", r.ID)
	h.flash(c, "The domain is blocked and the report resolved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminReports)
}

// domainsData is the content of the domain policies page.
type domainsData struct {
	Rules     []storage.DomainRule
	Policies  []string
	Accounts  []storage.AccountBlock
	AllowList bool // the node federates only with allowed domains
}

// domainsPage lists the domain policies with a form to set one: "tadamun
// domain list".
func (h *Handler) domainsPage(c echo.Context) error {
	ctx := c.Request().Context()
	rules, err := h.store.ListDomainPolicies(ctx)
	if err != nil {
		return fmt.Errorf("admin: domains: %w", err)
	}
	accounts, err := h.store.ListAccountBlocks(ctx)
	if err != nil {
		return fmt.Errorf("admin: account blocks: %w", err)
	}
	mode, err := h.fed.FederationMode(ctx)
	if err != nil {
		return fmt.Errorf("admin: domains: %w", err)
	}
	return h.render(c, http.StatusOK, "network_domains", h.ui(c).T("Domain policies"), domainsData{Rules: rules,
		Policies: []string{storage.PolicyBlock, storage.PolicySilence, storage.PolicyAllow}, Accounts: accounts,
		AllowList: mode == storage.FederationAllowList})
}

// setFederationMode is "tadamun domain mode open|allowlist".
func (h *Handler) setFederationMode(c echo.Context) error {
	ctx := c.Request().Context()
	mode := c.FormValue("mode")
	if err := h.fed.SetFederationMode(ctx, mode); err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin federation mode set", "user", currentUser(c).Username, "mode", mode)
	if mode == storage.FederationAllowList {
		h.flash(c, "Only the allowed domains may now deliver to or fetch from this node.")
	} else {
		h.flash(c, "Every server that is not blocked may now deliver to and fetch from this node.")
	}
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDomains)
}

// maxReason bounds a policy's reason, a note for the record.
const maxReason = 1000

// setDomainPolicy is "tadamun domain block|silence|allow DOMAIN --reason".
func (h *Handler) setDomainPolicy(c echo.Context) error {
	domain, policy := c.FormValue("domain"), c.FormValue("policy")
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len([]rune(reason)) > maxReason || strings.IndexFunc(reason, unicode.IsControl) >= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "The reason is too long or holds control characters.")
	}
	ctx := c.Request().Context()
	removed, err := h.fed.SetDomainPolicy(ctx, domain, policy, reason)
	if err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin domain policy set", "user", currentUser(c).Username, "domain", domain,
		"policy", policy, "followers_removed", removed)
	switch policy {
	case storage.PolicyBlock:
		h.flash(c, h.ui(c).T("The domain is blocked. Follows from there ended: %d.", removed))
	case storage.PolicySilence:
		h.flash(c, "The domain is silenced.")
	default:
		h.flash(c, "The domain is allowed.")
	}
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDomains)
}

// removeDomainPolicy is "tadamun domain unblock DOMAIN".
func (h *Handler) removeDomainPolicy(c echo.Context) error {
	ctx := c.Request().Context()
	domain := c.FormValue("domain")
	if err := h.fed.RemoveDomainPolicy(ctx, domain); err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin domain policy removed", "user", currentUser(c).Username, "domain", domain)
	h.flash(c, "The domain's policy is removed.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDomains)
}

// blockReporter blocks the account that sent a report (as "tadamun
// account block") and resolves the report.
func (h *Handler) blockReporter(c echo.Context) error {
	r, err := h.reportFor(c)
	if err != nil {
		return err
	}
	if r.Reporter == nil {
		return echo.NewHTTPError(http.StatusConflict, "The reporter is no longer known here.")
	}
	ctx := c.Request().Context()
	if _, err := h.fed.BlockAccount(ctx, r.Reporter.IRI, "report "+r.ActivityIRI); err != nil {
		return networkRefusal(err)
	}
	if err := h.store.ResolveReport(ctx, r.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("admin: resolve report: %w", err)
	}
	h.log.InfoContext(ctx, "admin blocked a reporter", "user", currentUser(c).Username, "account", r.Reporter.IRI, "report", r.ID)
	h.flash(c, "The account is blocked and the report resolved.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminReports)
}

// blockAccount is "tadamun account block @user@host|URL --reason".
func (h *Handler) blockAccount(c echo.Context) error {
	who, err := whoField(c)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len([]rune(reason)) > maxReason || strings.IndexFunc(reason, unicode.IsControl) >= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "The reason is too long or holds control characters.")
	}
	ctx := c.Request().Context()
	actorIRI, err := h.fed.BlockAccount(ctx, who, reason)
	if err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin account blocked", "user", currentUser(c).Username, "account", actorIRI)
	h.flash(c, "The account is blocked.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDomains)
}

// unblockAccount is "tadamun account unblock @user@host|URL".
func (h *Handler) unblockAccount(c echo.Context) error {
	who, err := whoField(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	actorIRI, err := h.fed.UnblockAccount(ctx, who)
	if err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin account unblocked", "user", currentUser(c).Username, "account", actorIRI)
	h.flash(c, "The account is unblocked.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDomains)
}

// hostRow is one host of the delivery health page.
type hostRow struct {
	storage.HostDeliveryStats
	Next      *time.Time // the earliest pending delivery's next attempt
	HoldUntil *time.Time // the host is on hold until then
}

// deliveriesData is the content of the delivery health page.
type deliveriesData struct {
	Stats *storage.DeliveryStats
	Hosts []hostRow
}

// deliveriesPage shows the delivery queue: "tadamun deliveries".
func (h *Handler) deliveriesPage(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := h.store.DeliveryStats(ctx)
	if err != nil {
		return fmt.Errorf("admin: deliveries: %w", err)
	}
	d := deliveriesData{Stats: st}
	for _, hs := range st.Hosts {
		row := hostRow{HostDeliveryStats: hs}
		next, err := h.store.NextAttempt(ctx, hs.Host)
		switch {
		case err == nil:
			row.Next = &next
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("admin: deliveries: %w", err)
		}
		host, err := h.store.HostByName(ctx, hs.Host)
		switch {
		case err == nil:
			if host.HoldUntil != nil && host.HoldUntil.After(h.cfg.Now()) {
				row.HoldUntil = host.HoldUntil
			}
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("admin: deliveries: %w", err)
		}
		d.Hosts = append(d.Hosts, row)
	}
	return h.render(c, http.StatusOK, "network_deliveries", h.ui(c).T("Delivery health"), d)
}

// maxHost bounds a host name with its port.
const maxHost = 300

// retryDeliveries makes the failed and pending deliveries to a host (or
// to every host) due now: "tadamun deliveries --retry HOST|all".
func (h *Handler) retryDeliveries(c echo.Context) error {
	host := strings.ToLower(strings.TrimSpace(c.FormValue("host")))
	if host == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "Name a host, or all.")
	}
	if len(host) > maxHost || strings.IndexFunc(host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "This is not a host name.")
	}
	if host == "all" {
		host = ""
	}
	ctx := c.Request().Context()
	n, err := h.store.RetryDeliveries(ctx, host)
	if err != nil {
		return fmt.Errorf("admin: retry deliveries: %w", err)
	}
	// The running workers poll the queue every second, as after the CLI.
	h.log.InfoContext(ctx, "admin deliveries retried", "user", currentUser(c).Username, "host", host, "rows", n)
	h.flash(c, h.ui(c).T("Deliveries due now: %d.", n))
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminDeliveries)
}

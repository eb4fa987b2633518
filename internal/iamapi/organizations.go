package iamapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// OrganizationsTargetPrefix is the X-Amz-Target prefix of Organizations operations.
const OrganizationsTargetPrefix = "AWSOrganizationsV20161128"

// maxOrgBody bounds an Organizations request body; the largest berth serves is a
// CreateAccount with tags.
const maxOrgBody = 1 << 20

// Organizations list pages: MaxResults is 1 to 20 (20 when not given).
const maxOrgResults = 20

type orgOp func(h *orgHandler, c *orgCall) (any, error)

var orgOps = map[string]orgOp{
	"CreateAccount":               (*orgHandler).createAccount,
	"DescribeCreateAccountStatus": (*orgHandler).describeCreateAccountStatus,
	"ListCreateAccountStatus":     (*orgHandler).listCreateAccountStatus,
	"ListAccounts":                (*orgHandler).listAccounts,
	"DescribeOrganization":        (*orgHandler).describeOrganization,
}

// orgHandler serves the Organizations subset.
type orgHandler struct {
	b   Backend
	log *slog.Logger
}

// NewOrganizations serves the Organizations subset: POST / with X-Amz-Target
// AWSOrganizationsV20161128.<Op>, AWS JSON 1.1.
func NewOrganizations(b Backend, log *slog.Logger) http.Handler {
	return &orgHandler{b: b, log: log}
}

type orgCall struct {
	ctx    context.Context
	r      *http.Request
	op     string
	body   []byte
	caller iam.Principal
}

// ServeHTTP serves one Organizations request.
func (h *orgHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := w.Header().Get("X-Request-Id")
	_, op, _ := awsproto.Target(r)
	out, err := h.serve(r, op)
	if err != nil {
		h.writeError(w, r, requestID, op, err)
		return
	}
	awsproto.WriteJSON(w, requestID, out)
}

func (h *orgHandler) serve(r *http.Request, op string) (any, error) {
	prefix, _, ok := awsproto.Target(r)
	fn, known := orgOps[op]
	if !ok || prefix != OrganizationsTargetPrefix || !known {
		return nil, errcode.New(errcode.UnknownOperation,
			"%q is not an operation of AWS Organizations that berth serves; it serves %s.<Operation> for CreateAccount, "+
				"DescribeCreateAccountStatus, ListCreateAccountStatus, ListAccounts and DescribeOrganization.",
			r.Header.Get("X-Amz-Target"), OrganizationsTargetPrefix)
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != awsproto.ContentTypeJSON11 {
		return nil, errcode.New(errcode.UnknownOperation,
			"the Organizations API takes Content-Type %s, not %q", awsproto.ContentTypeJSON11, ct)
	}
	body, err := awsproto.ReadBody(r, maxOrgBody)
	if err != nil {
		return nil, err
	}
	caller, err := h.b.Authenticate(r.Context(), r, body, "organizations")
	if err != nil {
		return nil, err
	}
	return fn(h, &orgCall{ctx: r.Context(), r: r, op: op, body: body, caller: caller})
}

// authorize asks whether the caller may perform the call's operation. Organizations
// authorizes every operation berth serves as organizations:<Op> on "*"; that only the
// management account may call them is the backend's rule.
func (h *orgHandler) authorize(c *orgCall) error {
	return h.b.Authorize(c.ctx, iam.Request{Principal: c.caller, Action: "organizations:" + c.op, Resource: "*",
		SourceIP: sourceIP(c.r), Secure: c.r.TLS != nil})
}

// The Organizations model's patterns, anchored, as its InvalidInputException reasons
// name the constraint each breaks.
var (
	emailPattern       = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	accountNamePattern = regexp.MustCompile(`^[\x{20}-\x{7E}]+$`)
	orgRoleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	orgTagPattern      = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	requestIDPattern   = regexp.MustCompile(`^car-[a-z0-9]{8,32}$`)
)

// invalidInput is Organizations' InvalidInputException with its Reason. The message is
// AWS's for the reason, followed by the member and constraint, which AWS leaves out.
func invalidInput(reason, member, detail string) error {
	return errcode.New(errcode.InvalidParameter, "%s (%s %s.)", inputReasons[reason], member, detail).
		WithDetail(map[string]any{"Reason": reason})
}

// inputReasons are AWS's words for the InvalidInputException reasons berth gives.
var inputReasons = map[string]string{
	"INPUT_REQUIRED":      "You must specify a value for all required parameters.",
	"INVALID_PATTERN":     "You provided a value that does not match the required pattern.",
	"MIN_LENGTH_EXCEEDED": "You provided a string parameter that is shorter than allowed.",
	"MAX_LENGTH_EXCEEDED": "You provided a string parameter that is longer than allowed.",
	"MIN_VALUE_EXCEEDED":  "You provided a numeric parameter that has a smaller value than allowed.",
	"MAX_VALUE_EXCEEDED":  "You provided a numeric parameter that has a larger value than allowed.",
	"INVALID_ENUM":        "You specified an invalid value.",
}

// checkString checks a string member against the model: required, length, pattern.
func checkString(member string, v *string, required bool, min, max int, pattern *regexp.Regexp, patternText string) error {
	if v == nil {
		if required {
			return invalidInput("INPUT_REQUIRED", member, "is required")
		}
		return nil
	}
	n := utf8.RuneCountInString(*v)
	switch {
	case n < min:
		return invalidInput("MIN_LENGTH_EXCEEDED", member, fmt.Sprintf("must be at least %d characters", min))
	case max > 0 && n > max:
		return invalidInput("MAX_LENGTH_EXCEEDED", member, fmt.Sprintf("must be at most %d characters", max))
	case pattern != nil && !pattern.MatchString(*v):
		return invalidInput("INVALID_PATTERN", member, "must match "+patternText)
	}
	return nil
}

func checkResults(v *int) (int, error) {
	switch {
	case v == nil:
		return maxOrgResults, nil
	case *v < 1:
		return 0, invalidInput("MIN_VALUE_EXCEEDED", "MaxResults", "must be at least 1")
	case *v > maxOrgResults:
		return 0, invalidInput("MAX_VALUE_EXCEEDED", "MaxResults", fmt.Sprintf("must be at most %d", maxOrgResults))
	}
	return *v, nil
}

type orgTag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type createAccountInput struct {
	Email                  *string  `json:"Email"`
	AccountName            *string  `json:"AccountName"`
	RoleName               *string  `json:"RoleName"`
	IamUserAccessToBilling *string  `json:"IamUserAccessToBilling"`
	Tags                   []orgTag `json:"Tags"`
}

type createAccountStatusShape struct {
	ID                 string        `json:"Id"`
	AccountName        string        `json:"AccountName"`
	State              string        `json:"State"`
	RequestedTimestamp awsproto.Time `json:"RequestedTimestamp,omitzero"`
	CompletedTimestamp awsproto.Time `json:"CompletedTimestamp,omitzero"`
	AccountID          string        `json:"AccountId,omitempty"`
	FailureReason      string        `json:"FailureReason,omitempty"`
}

func toCreateAccountStatus(s meta.CreateAccountStatus) createAccountStatusShape {
	return createAccountStatusShape{ID: s.ID, AccountName: s.AccountName, State: s.State,
		RequestedTimestamp: awsproto.Time{Time: s.RequestedAt}, CompletedTimestamp: awsproto.Time{Time: s.CompletedAt},
		AccountID: s.AccountID, FailureReason: s.FailureReason}
}

type createAccountStatusOutput struct {
	CreateAccountStatus createAccountStatusShape `json:"CreateAccountStatus"`
}

// createAccount validates Tags and IamUserAccessToBilling and does not keep them:
// berth has no account tags and no billing.
func (h *orgHandler) createAccount(c *orgCall) (any, error) {
	var in createAccountInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	checks := []error{
		checkString("Email", in.Email, true, 6, 64, emailPattern, `[^\s@]+@[^\s@]+\.[^\s@]+`),
		checkString("AccountName", in.AccountName, true, 1, 50, accountNamePattern, `[\u0020-\u007E]+`),
		checkString("RoleName", in.RoleName, false, 0, 64, orgRoleNamePattern, `[\w+=,.@-]{1,64}`),
	}
	if in.IamUserAccessToBilling != nil && *in.IamUserAccessToBilling != "ALLOW" && *in.IamUserAccessToBilling != "DENY" {
		checks = append(checks, invalidInput("INVALID_ENUM", "IamUserAccessToBilling", "must be ALLOW or DENY"))
	}
	for _, t := range in.Tags {
		checks = append(checks,
			checkString("Tags.Key", t.Key, true, 1, 128, orgTagPattern, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`),
			checkString("Tags.Value", t.Value, true, 0, 256, orgTagPattern, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`))
	}
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	role := ""
	if in.RoleName != nil {
		role = *in.RoleName
	}
	st, err := h.b.CreateAccount(c.ctx, c.caller, *in.AccountName, *in.Email, role)
	if err != nil {
		return nil, err
	}
	return createAccountStatusOutput{CreateAccountStatus: toCreateAccountStatus(st)}, nil
}

func (h *orgHandler) describeCreateAccountStatus(c *orgCall) (any, error) {
	var in struct {
		CreateAccountRequestID *string `json:"CreateAccountRequestId"`
	}
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkString("CreateAccountRequestId", in.CreateAccountRequestID, true, 0, 36, requestIDPattern, `^car-[a-z0-9]{8,32}$`); err != nil {
		return nil, err
	}
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	st, err := h.b.DescribeCreateAccountStatus(c.ctx, c.caller, *in.CreateAccountRequestID)
	if err != nil {
		return nil, err
	}
	return createAccountStatusOutput{CreateAccountStatus: toCreateAccountStatus(st)}, nil
}

type listCreateAccountStatusOutput struct {
	CreateAccountStatuses []createAccountStatusShape `json:"CreateAccountStatuses"`
	NextToken             string                     `json:"NextToken,omitempty"`
}

func (h *orgHandler) listCreateAccountStatus(c *orgCall) (any, error) {
	var in struct {
		States     []string `json:"States"`
		NextToken  *string  `json:"NextToken"`
		MaxResults *int     `json:"MaxResults"`
	}
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	for _, s := range in.States {
		if s != "IN_PROGRESS" && s != "SUCCEEDED" && s != "FAILED" {
			return nil, invalidInput("INVALID_ENUM", "States", "must be IN_PROGRESS, SUCCEEDED or FAILED")
		}
	}
	if err := checkString("NextToken", in.NextToken, false, 0, 100000, nil, ""); err != nil {
		return nil, err
	}
	limit, err := checkResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	statuses, next, err := h.b.ListCreateAccountStatus(c.ctx, c.caller, in.States, deref(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	out := listCreateAccountStatusOutput{CreateAccountStatuses: make([]createAccountStatusShape, len(statuses)), NextToken: next}
	for i, s := range statuses {
		out.CreateAccountStatuses[i] = toCreateAccountStatus(s)
	}
	return out, nil
}

type accountShape struct {
	ID              string        `json:"Id"`
	Arn             string        `json:"Arn"`
	Email           string        `json:"Email,omitempty"`
	Name            string        `json:"Name"`
	Status          string        `json:"Status"`
	State           string        `json:"State"`
	JoinedMethod    string        `json:"JoinedMethod"`
	JoinedTimestamp awsproto.Time `json:"JoinedTimestamp,omitzero"`
}

type listAccountsOutput struct {
	Accounts  []accountShape `json:"Accounts"`
	NextToken string         `json:"NextToken,omitempty"`
}

// listAccounts lists every account as active. The management account joined the
// organization by creating it (INVITED, as AWS shows the management account), the
// others by CreateAccount (CREATED).
func (h *orgHandler) listAccounts(c *orgCall) (any, error) {
	var in struct {
		NextToken  *string `json:"NextToken"`
		MaxResults *int    `json:"MaxResults"`
	}
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkString("NextToken", in.NextToken, false, 0, 100000, nil, ""); err != nil {
		return nil, err
	}
	limit, err := checkResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	accounts, next, err := h.b.ListAccounts(c.ctx, c.caller, deref(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	org, err := h.b.DescribeOrganization(c.ctx, c.caller)
	if err != nil {
		return nil, err
	}
	out := listAccountsOutput{Accounts: make([]accountShape, len(accounts)), NextToken: next}
	for i, a := range accounts {
		joined := "CREATED"
		if a.ID == org.MasterAccountID {
			joined = "INVITED"
		}
		out.Accounts[i] = accountShape{ID: a.ID, Arn: iam.OrganizationAccountARN(org, a.ID), Email: a.Email, Name: a.Name,
			Status: "ACTIVE", State: "ACTIVE", JoinedMethod: joined, JoinedTimestamp: awsproto.Time{Time: a.CreatedAt}}
	}
	return out, nil
}

type organizationShape struct {
	ID                   string     `json:"Id"`
	Arn                  string     `json:"Arn"`
	FeatureSet           string     `json:"FeatureSet"`
	MasterAccountArn     string     `json:"MasterAccountArn"`
	MasterAccountID      string     `json:"MasterAccountId"`
	MasterAccountEmail   string     `json:"MasterAccountEmail,omitempty"`
	AvailablePolicyTypes []struct{} `json:"AvailablePolicyTypes"`
}

// describeOrganization answers with all features and no policy types: berth has no
// service control policies (AvailablePolicyTypes is deprecated in AWS's model too).
func (h *orgHandler) describeOrganization(c *orgCall) (any, error) {
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	org, err := h.b.DescribeOrganization(c.ctx, c.caller)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organization": organizationShape{ID: org.ID, Arn: org.ARN, FeatureSet: "ALL",
		MasterAccountArn: org.MasterAccountARN, MasterAccountID: org.MasterAccountID,
		MasterAccountEmail: org.MasterAccountEmail, AvailablePolicyTypes: []struct{}{}}}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

package policy

import (
	"sync"
	"testing"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	repoApp = "arn:aws:ecr:us-east-1:111111111111:repository/app"
)

var (
	alice   = Principal{Type: "User", AccountID: acctA, ARN: "arn:aws:iam::111111111111:user/alice", UserID: "AIDAALICE", UserName: "alice", OrgID: "o-abc"}
	bob     = Principal{Type: "User", AccountID: acctB, ARN: "arn:aws:iam::222222222222:user/bob", UserID: "AIDABOB", UserName: "bob"}
	rootA   = Principal{Type: "Account", AccountID: acctA, ARN: "arn:aws:iam::111111111111:root", UserID: acctA}
	rootB   = Principal{Type: "Account", AccountID: acctB, ARN: "arn:aws:iam::222222222222:root", UserID: acctB}
	session = Principal{Type: "AssumedRole", AccountID: acctA, ARN: "arn:aws:sts::111111111111:assumed-role/builder/ci", RoleARN: "arn:aws:iam::111111111111:role/builder", UserID: "AROABUILDER:ci"}
	anon    = Principal{Type: "Anonymous"}
)

func mustParse(tb testing.TB, text string, k Kind) *Document {
	tb.Helper()
	d, err := Parse(text, k)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", text, err)
	}
	return d
}

func TestEvaluate(t *testing.T) {
	allowPull := doc(`{"Effect":"Allow","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"arn:aws:ecr:us-east-1:111111111111:repository/app"}`)
	tests := []struct {
		name     string
		kind     Kind
		text     string
		p        Principal
		action   string
		resource string
		want     Result
	}{
		{"allow", Identity, allowPull, alice, "ecr:BatchGetImage", repoApp, Result{Allow: MatchPrincipal}},
		{"action matched case-insensitively", Identity, allowPull, alice, "ECR:batchgetimage", repoApp, Result{Allow: MatchPrincipal}},
		{"other action", Identity, allowPull, alice, "ecr:PutImage", repoApp, Result{}},
		{"other resource", Identity, allowPull, alice, "ecr:BatchGetImage", repoApp + "2", Result{}},
		{"resource matched case-sensitively", Identity, allowPull, alice, "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:111111111111:repository/App", Result{}},
		{"action glob", Identity, doc(`{"Effect":"Allow","Action":"ecr:*Image","Resource":"*"}`), alice, "ecr:BatchGetImage", repoApp, Result{Allow: MatchPrincipal}},
		{"action glob not matching", Identity, doc(`{"Effect":"Allow","Action":"ecr:Get*","Resource":"*"}`), alice, "ecr:BatchGetImage", repoApp, Result{}},
		{"action ?", Identity, doc(`{"Effect":"Allow","Action":"ecr:?utImage","Resource":"*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"action * everything", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`), alice, "iam:CreateUser", "*", Result{Allow: MatchPrincipal}},
		{"resource glob crosses : and /", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*app"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"resource ?", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:us-east-1:111111111111:repository/a?p"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"resource * matches request *", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*"}`), alice, "ecr:GetAuthorizationToken", "*", Result{Allow: MatchPrincipal}},
		{"resource ARN glob does not match request *", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*"}`), alice, "ecr:GetAuthorizationToken", "*", Result{}},
		{"deny and allow", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":"*"}`), alice, "ecr:BatchGetImage", repoApp, Result{Deny: true, Allow: MatchPrincipal}},
		{"deny elsewhere", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":"*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"NotAction applies", Identity, doc(`{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"NotAction excludes", Identity, doc(`{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}`), alice, "IAM:CreateUser", "*", Result{}},
		{"NotResource applies", Identity, doc(`{"Effect":"Deny","Action":"ecr:*","NotResource":"arn:aws:ecr:*:*:repository/app"}`), alice, "ecr:PutImage", repoApp + "2", Result{Deny: true}},
		{"NotResource excludes", Identity, doc(`{"Effect":"Deny","Action":"ecr:*","NotResource":"arn:aws:ecr:*:*:repository/app"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"NotResource and request *", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","NotResource":"arn:aws:ecr:*:*:repository/app"}`), alice, "ecr:GetAuthorizationToken", "*", Result{Allow: MatchPrincipal}},

		// Principals.
		{"Principal *", Resource, doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"Principal * and anonymous", Resource, doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*"}`), anon, "ecr:BatchGetImage", repoApp, Result{Allow: MatchPrincipal}},
		{"AWS *", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:*"}`), anon, "ecr:BatchGetImage", repoApp, Result{Allow: MatchPrincipal}},
		{"account id", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchAccount}},
		{"account id and its root", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), rootA, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"account id and another account", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), bob, "ecr:PutImage", repoApp, Result{}},
		{"account id and anonymous", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), anon, "ecr:PutImage", repoApp, Result{}},
		{"root ARN", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"ecr:*"}`), bob, "ecr:PutImage", repoApp, Result{Allow: MatchAccount}},
		{"root ARN and its root", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"ecr:*"}`), rootB, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"root ARN and a session in the account", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"ecr:*"}`), session, "ecr:PutImage", repoApp, Result{Allow: MatchAccount}},
		{"user ARN", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice"]},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"user ARN and another user", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice"]},"Action":"ecr:*"}`), bob, "ecr:PutImage", repoApp, Result{}},
		{"strongest match", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"},{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice"]},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"role ARN and a session of the role", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/builder"},"Action":"ecr:*"}`), session, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"role ARN and a user", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/builder"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"session ARN", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/builder/ci"},"Action":"ecr:*"}`), session, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"another session of the role", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/builder/other"},"Action":"ecr:*"}`), session, "ecr:PutImage", repoApp, Result{}},
		{"service principal", Resource, doc(`{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"Allow NotPrincipal excluding", Resource, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"Allow NotPrincipal others", Resource, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"ecr:*"}`), bob, "ecr:PutImage", repoApp, Result{Allow: MatchPrincipal}},
		{"Deny NotPrincipal excluding the account", Resource, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"Deny NotPrincipal others", Resource, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"Action":"ecr:*"}`), bob, "ecr:PutImage", repoApp, Result{Deny: true}},
		{"Deny naming the account denies its users", Resource, doc(`{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), alice, "ecr:PutImage", repoApp, Result{Deny: true}},
		{"resource policy Resource", Resource, doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/other"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"resource policy without Resource and request *", Resource, doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*"}`), alice, "ecr:GetAuthorizationToken", "*", Result{Allow: MatchPrincipal}},
		{"trust policy", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}`), bob, "sts:AssumeRole", "arn:aws:iam::111111111111:role/builder", Result{Allow: MatchAccount}},
		{"trust policy other action", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}`), bob, "sts:TagSession", "arn:aws:iam::111111111111:role/builder", Result{}},
		{"trust policy service", Trust, doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), bob, "sts:AssumeRole", "arn:aws:iam::111111111111:role/builder", Result{}},

		// Policy variables.
		{"${aws:username}", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/*"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/alice/app", Result{Allow: MatchPrincipal}},
		{"${aws:username} of another", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/*"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/bob/app", Result{}},
		{"${aws:username} without a user", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/*"}`), session, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository//app", Result{}},
		{"${aws:username} literal without Version", Identity, `{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}"}}`, alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/${aws:username}", Result{Allow: MatchPrincipal}},
		{"${aws:username} not substituted without Version", Identity, `{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}"}}`, alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/alice", Result{}},
		{"default value", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username, 'shared'}/*"}`), session, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/shared/app", Result{Allow: MatchPrincipal}},
		{"default value with quote", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username, 'o''k'}"}`), session, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/o'k", Result{Allow: MatchPrincipal}},
		{"malformed default", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username, shared}"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/alice", Result{}},
		{"value is literal, not a wildcard", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${ecr:ResourceTag/x}"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"escape ${*}", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${*}"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/*", Result{Allow: MatchPrincipal}},
		{"escape ${*} is not a wildcard", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${*}"}`), alice, "ecr:PutImage", repoApp, Result{}},
		{"escapes ${?} ${$}", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${?}${$}"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/?$", Result{Allow: MatchPrincipal}},
		{"${aws:PrincipalAccount} and ${aws:PrincipalType}", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:${aws:PrincipalAccount}:repository/${aws:PrincipalType}"}`), alice, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/User", Result{Allow: MatchPrincipal}},
		{"${aws:userid}", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:userid}"}`), session, "ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/AROABUILDER:ci", Result{Allow: MatchPrincipal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.text, tt.kind)
			req := &Request{Principal: tt.p, Action: tt.action, Resource: tt.resource}
			if got := d.Evaluate(req); got != tt.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateContextVariables(t *testing.T) {
	d := mustParse(t, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${ecr:ResourceTag/team}-${aws:SourceIp}"}`), Identity)
	tests := []struct {
		name string
		ctx  map[string][]string
		want Result
	}{
		{"both", map[string][]string{"ECR:ResourceTag/Team": {"web"}, "aws:sourceip": {"10.0.0.1"}}, Result{Allow: MatchPrincipal, Volatile: true}},
		{"other value", map[string][]string{"ecr:ResourceTag/team": {"db"}, "aws:SourceIp": {"10.0.0.1"}}, Result{}},
		{"missing", map[string][]string{"ecr:ResourceTag/team": {"web"}}, Result{Volatile: true}},
		{"multi-valued", map[string][]string{"ecr:ResourceTag/team": {"web", "db"}, "aws:SourceIp": {"10.0.0.1"}}, Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Principal: alice, Action: "ecr:PutImage", Resource: "arn:aws:ecr:us-east-1:111111111111:repository/web-10.0.0.1", Context: tt.ctx}
			if got := d.Evaluate(req); got != tt.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVolatile(t *testing.T) {
	tests := []struct {
		name     string
		cond     string // the Condition element
		ctx      map[string][]string
		volatile []string
		action   string
		want     bool
	}{
		{"volatile key read", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string][]string{"aws:SourceIp": {"10.1.1.1"}}, nil, "", true},
		{"volatile key read though absent", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, nil, "", true},
		{"volatile key in other case", `{"Bool":{"AWS:SECURETRANSPORT":"true"}}`, nil, nil, "", true},
		{"request tag prefix", `{"StringEquals":{"aws:RequestTag/env":"prod"}}`, nil, nil, "", true},
		{"stable key", `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`, nil, nil, "", false},
		{"statement not applying to the action", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, nil, "iam:CreateUser", false},
		{"earlier condition false", `{"StringEquals":{"aws:PrincipalAccount":"999999999999"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, nil, "", false},
		{"earlier condition true", `{"StringEquals":{"aws:PrincipalAccount":"111111111111"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, nil, "", true},
		{"caller list", `{"StringEquals":{"ecr:ResourceTag/team":"web"}}`, nil, []string{"ecr:ResourceTag/*"}, "", true},
		{"caller list replaces the default", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, []string{"ecr:ResourceTag/*"}, "", false},
		{"empty caller list", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, []string{}, "", false},
		{"caller list case-insensitive", `{"StringEquals":{"ecr:resourcetag/team":"web"}}`, nil, []string{"ECR:ResourceTag/Team"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":`+tt.cond+`}`), Identity)
			action := tt.action
			if action == "" {
				action = "ecr:PutImage"
			}
			req := &Request{Principal: alice, Action: action, Resource: repoApp, Context: tt.ctx, Volatile: tt.volatile}
			if got := d.Evaluate(req).Volatile; got != tt.want {
				t.Errorf("Volatile = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvaluateSkipsSettledStatements checks that statements that cannot change
// the result are not evaluated, so their keys do not make a result volatile.
func TestEvaluateSkipsSettledStatements(t *testing.T) {
	d := mustParse(t, doc(`{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), Identity)
	r := d.Evaluate(&Request{Principal: alice, Action: "ecr:PutImage", Resource: repoApp})
	if want := (Result{Deny: true}); r != want {
		t.Errorf("Evaluate = %+v, want %+v", r, want)
	}

	d = mustParse(t, doc(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), Identity)
	r = d.Evaluate(&Request{Principal: alice, Action: "ecr:PutImage", Resource: repoApp})
	if want := (Result{Allow: MatchPrincipal}); r != want {
		t.Errorf("Evaluate = %+v, want %+v", r, want)
	}

	// A resource policy naming a session can still find a stronger match.
	d = mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/builder/ci"},"Action":"*"}`), Resource)
	dec := Decide(Input{Resource: []*Document{d}, Session: []*Document{}, ResourceAccount: acctA}, &Request{Principal: session, Action: "ecr:PutImage", Resource: repoApp})
	if !dec.Allowed() {
		t.Errorf("Decide = %v, want Allowed", dec.Reason)
	}
}

func TestEvaluateConcurrently(t *testing.T) {
	d := mustParse(t, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), Identity)
	var wg sync.WaitGroup
	for _, p := range []Principal{alice, bob, session} {
		wg.Go(func() {
			for range 100 {
				req := &Request{Principal: p, Action: "ecr:PutImage", Resource: "arn:aws:ecr:us-east-1:111111111111:repository/alice/x", Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}}}
				// Only alice's request gets as far as the condition.
				var want Result
				if p.UserName == "alice" {
					want = Result{Allow: MatchPrincipal, Volatile: true}
				}
				if got := d.Evaluate(req); got != want {
					t.Errorf("Evaluate(%s) = %+v, want %+v", p.ARN, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestGovernsAction(t *testing.T) {
	doc, err := Parse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["ecr:CreateRepository","ecr:Replicate*"],"Resource":"*"},
		{"Effect":"Deny","Principal":"*","NotAction":"ecr:*","Resource":"*"}]}`, Resource)
	if err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]bool{
		"ecr:CreateRepository": true, "ecr:ReplicateImage": true, "ECR:replicateimage": true,
		"ecr:BatchGetImage": false, "s3:GetObject": true, // the NotAction statement governs everything outside ecr:*
	} {
		if got := doc.GovernsAction(action); got != want {
			t.Errorf("GovernsAction(%q) = %v, want %v", action, got, want)
		}
	}
}

package policy

import "testing"

func TestDecide(t *testing.T) {
	parse := func(text string, k Kind) []*Document { return []*Document{mustParse(t, text, k)} }
	var (
		idAllow      = parse(doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*"}`), Identity)
		idDeny       = parse(doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:PutImage","Resource":"*"}`), Identity)
		idOther      = parse(doc(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`), Identity)
		sessAllow    = parse(doc(`{"Effect":"Allow","Action":"ecr:PutImage","Resource":"*"}`), Identity)
		sessOther    = parse(doc(`{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}`), Identity)
		sessDeny     = parse(doc(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ecr:PutImage","Resource":"*"}`), Identity)
		resAny       = parse(doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*"}`), Resource)
		resAcctA     = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}`), Resource)
		resAcctB     = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"ecr:*"}`), Resource)
		resAlice     = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"ecr:*"}`), Resource)
		resBob       = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"ecr:*"}`), Resource)
		resRole      = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/builder"},"Action":"ecr:*"}`), Resource)
		resSession   = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/builder/ci"},"Action":"ecr:*"}`), Resource)
		resDeny      = parse(doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}`), Resource)
		trustAcctB   = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}`), Trust)
		trustAcctA   = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}`), Trust)
		trustAlice   = parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`), Trust)
		idAssumeRole = parse(doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/*"}`), Identity)
	)
	const role = "arn:aws:iam::111111111111:role/builder"
	tests := []struct {
		name     string
		in       Input
		p        Principal
		action   string
		resource string
		want     Reason
	}{
		// Same account.
		{"identity allow", Input{Identity: idAllow}, alice, "", "", Allowed},
		{"no policies", Input{}, alice, "", "", NoIdentityAllow},
		{"identity allows another action", Input{Identity: idOther}, alice, "", "", NoIdentityAllow},
		{"identity deny beats allow", Input{Identity: append(idAllow, idDeny...)}, alice, "", "", ExplicitDenyIdentity},
		{"resource deny beats identity allow", Input{Identity: idAllow, Resource: resDeny}, alice, "", "", ExplicitDenyResource},
		{"identity deny reported before resource deny", Input{Identity: idDeny, Resource: resDeny}, alice, "", "", ExplicitDenyIdentity},
		{"resource names the user", Input{Resource: resAlice}, alice, "", "", Allowed},
		{"resource names everyone", Input{Resource: resAny}, alice, "", "", Allowed},
		{"resource names the account only", Input{Resource: resAcctA}, alice, "", "", NoIdentityAllow},
		{"resource names the account, identity allows", Input{Identity: idAllow, Resource: resAcctA}, alice, "", "", Allowed},
		{"resource allows, identity denies", Input{Identity: idDeny, Resource: resAlice}, alice, "", "", ExplicitDenyIdentity},

		// Cross account.
		{"cross-account identity only", Input{Identity: idAllow}, bob, "", "", NoResourceAllow},
		{"cross-account resource only", Input{Resource: resAcctB}, bob, "", "", NoIdentityAllow},
		{"cross-account both, account", Input{Identity: idAllow, Resource: resAcctB}, bob, "", "", Allowed},
		{"cross-account both, user", Input{Identity: idAllow, Resource: resBob}, bob, "", "", Allowed},
		{"cross-account both, everyone", Input{Identity: idAllow, Resource: resAny}, bob, "", "", Allowed},
		{"cross-account user named, no identity", Input{Resource: resBob}, bob, "", "", NoIdentityAllow},
		{"cross-account other account named", Input{Identity: idAllow, Resource: resAcctA}, bob, "", "", NoResourceAllow},
		{"cross-account resource deny", Input{Identity: idAllow, Resource: resDeny}, bob, "", "", ExplicitDenyResource},

		// Root.
		{"root in its account", Input{Root: true}, rootA, "", "", Allowed},
		{"root ignores identity policies", Input{Root: true, Identity: idDeny}, rootA, "", "", Allowed},
		{"root stopped by resource deny", Input{Root: true, Resource: resDeny}, rootA, "", "", ExplicitDenyResource},
		{"root cross-account without resource policy", Input{Root: true}, rootB, "", "", NoResourceAllow},
		{"root cross-account named", Input{Root: true, Resource: resAcctB}, rootB, "", "", Allowed},

		// Anonymous.
		{"anonymous and *", Input{Resource: resAny}, anon, "ecr:BatchGetImage", "", Allowed},
		{"anonymous and an account", Input{Resource: resAcctA}, anon, "", "", NoResourceAllow},
		{"anonymous without policies", Input{}, anon, "", "", NoResourceAllow},
		{"anonymous has no identity side", Input{Identity: idAllow}, anon, "", "", NoResourceAllow},
		{"anonymous and resource deny", Input{Resource: resDeny}, anon, "", "", ExplicitDenyResource},

		// Sessions.
		{"session allowed by both", Input{Identity: idAllow, Session: sessAllow}, session, "", "", Allowed},
		{"session policy allows another action", Input{Identity: idAllow, Session: sessOther}, session, "", "", NoSessionAllow},
		{"empty session policy list", Input{Identity: idAllow, Session: []*Document{}}, session, "", "", NoSessionAllow},
		{"session policy alone", Input{Session: sessAllow}, session, "", "", NoIdentityAllow},
		{"session deny", Input{Identity: idAllow, Session: sessDeny}, session, "", "", ExplicitDenySession},
		{"resource deny reported before session deny", Input{Identity: idAllow, Resource: resDeny, Session: sessDeny}, session, "", "", ExplicitDenyResource},
		{"resource names the session", Input{Resource: resSession, Session: sessOther}, session, "", "", Allowed},
		{"resource names the role, session policy allows", Input{Resource: resRole, Session: sessAllow}, session, "", "", Allowed},
		{"resource names the role, session policy does not", Input{Resource: resRole, Session: sessOther}, session, "", "", NoSessionAllow},
		{"resource names the role, no session policy", Input{Resource: resRole}, session, "", "", Allowed},
		{"resource names everyone, session policy does not", Input{Resource: resAny, Session: sessOther}, session, "", "", NoSessionAllow},
		{"cross-account session named, session policy does not", Input{Identity: idAllow, Resource: resSession, Session: sessOther, ResourceAccount: acctB}, session, "", "arn:aws:ecr:us-east-1:222222222222:repository/app", NoSessionAllow},
		{"cross-account session named, session policy allows", Input{Identity: idAllow, Resource: resSession, Session: sessAllow, ResourceAccount: acctB}, session, "", "arn:aws:ecr:us-east-1:222222222222:repository/app", Allowed},

		// Trust policies.
		{"assume role cross-account", Input{Identity: idAssumeRole, Resource: trustAcctB}, bob, "sts:AssumeRole", role, Allowed},
		{"assume role cross-account without identity policy", Input{Resource: trustAcctB}, bob, "sts:AssumeRole", role, NoIdentityAllow},
		{"assume role same account, user named", Input{Resource: trustAlice}, alice, "sts:AssumeRole", role, Allowed},
		{"assume role same account, account named", Input{Identity: idAssumeRole, Resource: trustAcctA}, alice, "sts:AssumeRole", role, Allowed},
		{"assume role same account, account named, no identity policy", Input{Resource: trustAcctA}, alice, "sts:AssumeRole", role, NoIdentityAllow},
		{"assume role same account, not trusted", Input{Identity: idAssumeRole, Resource: trustAcctB}, alice, "sts:AssumeRole", role, NoResourceAllow},
		{"assume role same account, not trusted, no identity policy", Input{Resource: trustAcctB}, alice, "sts:AssumeRole", role, NoIdentityAllow},
		{"assume role as root, not trusted", Input{Root: true, Resource: trustAcctB}, rootA, "sts:AssumeRole", role, NoResourceAllow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Principal: tt.p, Action: tt.action, Resource: tt.resource}
			if req.Action == "" {
				req.Action = "ecr:PutImage"
			}
			if req.Resource == "" {
				req.Resource = repoApp
			}
			if tt.in.ResourceAccount == "" {
				tt.in.ResourceAccount = acctA
			}
			got := Decide(tt.in, req)
			if got.Reason != tt.want {
				t.Errorf("Decide = %v, want %v", got.Reason, tt.want)
			}
			if got.Allowed() != (tt.want == Allowed) {
				t.Errorf("Allowed() = %v", got.Allowed())
			}
		})
	}
}

func TestDecideVolatile(t *testing.T) {
	sourceIP := `"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`
	var (
		denyAll       = mustParse(t, doc(`{"Effect":"Deny","Action":"*","Resource":"*"}`), Identity)
		allowFromNet  = mustParse(t, doc(`{"Effect":"Allow","Action":"*","Resource":"*",`+sourceIP+`}`), Identity)
		resFromNet    = mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"*",`+sourceIP+`}`), Resource)
		allowByAcct   = mustParse(t, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}}`), Identity)
		resDenyOnNet  = mustParse(t, doc(`{"Effect":"Deny","Principal":"*","Action":"*",`+sourceIP+`}`), Resource)
		sessionFromIP = mustParse(t, doc(`{"Effect":"Allow","Action":"*","Resource":"*",`+sourceIP+`}`), Identity)
	)
	inNet := map[string][]string{"aws:SourceIp": {"10.1.1.1"}}
	tests := []struct {
		name string
		in   Input
		ctx  map[string][]string
		want Decision
	}{
		{"stable", Input{Identity: []*Document{allowByAcct}}, inNet, Decision{Allowed, false}},
		{"identity reads a volatile key", Input{Identity: []*Document{allowFromNet}}, inNet, Decision{Allowed, true}},
		{"volatile even when denied", Input{Identity: []*Document{allowByAcct}, Resource: []*Document{resDenyOnNet}}, inNet, Decision{ExplicitDenyResource, true}},
		{"volatile even when the key is missing", Input{Resource: []*Document{resFromNet}}, nil, Decision{NoIdentityAllow, true}},
		{"decided before the volatile document", Input{Identity: []*Document{denyAll}, Resource: []*Document{resDenyOnNet}}, inNet, Decision{ExplicitDenyIdentity, false}},
		{"session policy reads a volatile key", Input{Identity: []*Document{allowByAcct}, Session: []*Document{sessionFromIP}}, nil, Decision{NoSessionAllow, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ResourceAccount = acctA
			req := &Request{Principal: alice, Action: "ecr:PutImage", Resource: repoApp, Context: tt.ctx}
			if got := Decide(tt.in, req); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDenyMessage(t *testing.T) {
	req := &Request{Principal: alice, Action: "ecr:PutImage", Resource: repoApp}
	prefix := "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-east-1:111111111111:repository/app "
	tests := []struct {
		reason Reason
		want   string
	}{
		{Allowed, ""},
		{ExplicitDenyIdentity, prefix + "with an explicit deny in an identity-based policy"},
		{ExplicitDenyResource, prefix + "with an explicit deny in a resource-based policy"},
		{ExplicitDenySession, prefix + "with an explicit deny in a session policy"},
		{NoIdentityAllow, prefix + "because no identity-based policy allows the ecr:PutImage action"},
		{NoResourceAllow, prefix + "because no resource-based policy allows the ecr:PutImage action"},
		{NoSessionAllow, prefix + "because no session policy allows the ecr:PutImage action"},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			if got := DenyMessage(req, tt.reason); got != tt.want {
				t.Errorf("DenyMessage = %q, want %q", got, tt.want)
			}
		})
	}

	anonReq := &Request{Principal: anon, Action: "ecr:BatchGetImage", Resource: repoApp}
	want := "User: anonymous is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111111111111:repository/app because no resource-based policy allows the ecr:BatchGetImage action"
	if got := DenyMessage(anonReq, NoResourceAllow); got != want {
		t.Errorf("DenyMessage(anonymous) = %q, want %q", got, want)
	}
}

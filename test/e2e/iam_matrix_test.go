package e2e

// TestIAMAuthorizationMatrix: every ECR operation berth serves and every /v2 action, called by nine
// kinds of caller, against the outcome AWS gives each: unauthenticated (the exact authentication
// error), denied (AccessDenied / DENIED with AWS's message and reason clause) or allowed (the call's
// real answer).

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// outcome is what a cell expects of a call.
type outcome int

const (
	U  outcome = iota // unauthenticated: the cell's authentication error
	DI                // denied "because no identity-based policy allows the <action> action"
	DR                // denied "because no resource-based policy allows the <action> action"
	A                 // allowed: the call succeeds
)

func (o outcome) String() string {
	return [...]string{"unauthenticated", "denied (no identity-based policy allows)", "denied (no resource-based policy allows)", "allowed"}[o]
}

// The cells, in the order of the expectation rows:
//
//	none       no credentials at all
//	badsig     an existing key signed with a wrong secret (/v2: a tampered password)
//	deleted    a deleted key (/v2: a token obtained with it before it was deleted)
//	expired    an expired role session (/v2: a token obtained in the session)
//	denied     a user without policies (/v2: a user allowed only ecr:GetAuthorizationToken)
//	identity   a user whose identity policy allows ecr:*
//	repopol    a user named in the repository policy, without identity policies (/v2: allowed only
//	           ecr:GetAuthorizationToken by identity, to get a token)
//	cross      a user of a member account allowed ecr:* by identity, on repositories whose policy
//	           allows that account; registry-level operations act on its own registry
//	crossnopol the same user on a repository without a policy
var matrixCells = []string{"none", "badsig", "deleted", "expired", "denied", "identity", "repopol", "cross", "crossnopol"}

// matrixECR is what each ECR operation gives each cell.
var matrixECR = map[string][9]outcome{
	//                                none badsig deleted expired denied identity repopol cross crossnopol
	"CreateRepository":              {U, U, U, U, DI, A, DI, DR, DR},
	"DescribeRepositories":          {U, U, U, U, DI, A, A, A, DR},
	"DescribeRepositories (all)":    {U, U, U, U, DI, A, DI, DR, DR},
	"DeleteRepository":              {U, U, U, U, DI, A, A, A, DR},
	"PutImageTagMutability":         {U, U, U, U, DI, A, A, A, DR},
	"PutImageScanningConfiguration": {U, U, U, U, DI, A, A, A, DR},
	"DescribeRegistry":              {U, U, U, U, DI, A, DI, A, A},
	"GetAuthorizationToken":         {U, U, U, U, DI, A, DI, A, A},
	"ListImages":                    {U, U, U, U, DI, A, A, A, DR},
	"DescribeImages":                {U, U, U, U, DI, A, A, A, DR},
	"BatchGetImage":                 {U, U, U, U, DI, A, A, A, DR},
	"PutImage":                      {U, U, U, U, DI, A, A, A, DR},
	"BatchDeleteImage":              {U, U, U, U, DI, A, A, A, DR},
	"ListImageReferrers":            {U, U, U, U, DI, A, A, A, DR},
	"BatchCheckLayerAvailability":   {U, U, U, U, DI, A, A, A, DR},
	"InitiateLayerUpload":           {U, U, U, U, DI, A, A, A, DR},
	"UploadLayerPart":               {U, U, U, U, DI, A, A, A, DR},
	"CompleteLayerUpload":           {U, U, U, U, DI, A, A, A, DR},
	"GetDownloadUrlForLayer":        {U, U, U, U, DI, A, A, A, DR},
	"TagResource":                   {U, U, U, U, DI, A, A, A, DR},
	"UntagResource":                 {U, U, U, U, DI, A, A, A, DR},
	"ListTagsForResource":           {U, U, U, U, DI, A, A, A, DR},
	"GetAccountSetting":             {U, U, U, U, DI, A, DI, A, A},
	"PutAccountSetting":             {U, U, U, U, DI, A, DI, A, A},
	"SetRepositoryPolicy":           {U, U, U, U, DI, A, A, A, DR},
	"GetRepositoryPolicy":           {U, U, U, U, DI, A, A, A, DR},
	"DeleteRepositoryPolicy":        {U, U, U, U, DI, A, A, A, DR},
	"PutRegistryPolicy":             {U, U, U, U, DI, A, DI, A, A},
	"GetRegistryPolicy":             {U, U, U, U, DI, A, DI, A, A},
	"DeleteRegistryPolicy":          {U, U, U, U, DI, A, DI, A, A},
}

// matrixV2 is what each /v2 action gives each cell.
var matrixV2 = map[string][9]outcome{
	//                  none badsig deleted expired denied identity repopol cross crossnopol
	"manifest GET":    {U, U, U, U, DI, A, A, A, DR},
	"manifest HEAD":   {U, U, U, U, DI, A, A, A, DR},
	"blob GET":        {U, U, U, U, DI, A, A, A, DR},
	"blob HEAD":       {U, U, U, U, DI, A, A, A, DR},
	"upload POST":     {U, U, U, U, DI, A, A, A, DR},
	"upload PATCH":    {U, U, U, U, DI, A, A, A, DR},
	"upload PUT":      {U, U, U, U, DI, A, A, A, DR},
	"monolithic POST": {U, U, U, U, DI, A, A, A, DR},
	"manifest PUT":    {U, U, U, U, DI, A, A, A, DR},
	"manifest DELETE": {U, U, U, U, DI, A, A, A, DR},
	"tags list":       {U, U, U, U, DI, A, A, A, DR},
	"referrers":       {U, U, U, U, DI, A, A, A, DR},
	"catalog":         {U, U, U, U, DI, A, DI, DR, DR},
}

// matrixCell is one kind of caller.
type matrixCell struct {
	name     string
	json     iamCreds // signs the ECR calls (no key: unsigned)
	password string   // of the /v2 calls ("": no credentials)
	v2ARN    string   // whom the /v2 password was issued to
	x        *cellState
	// The authentication errors of the unauthenticated cells.
	jsonType, jsonMsg string
	v2Status          int
	v2Code, v2Msg     string
}

func TestIAMAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := StartServer(t, WithArgs("--min-session-duration=2s"))
	root, a := rootOf(s), s.AccountID
	getToken := allowAll("ecr:GetAuthorizationToken")

	// The identities of account A.
	identity := newIAMUser(t, s, root, "matrix-identity", map[string]string{"ecr": allowAll("ecr:*")})
	roleARN := newIAMRole(t, s, root, "matrix-role", trusting(identity.ARN), map[string]string{"ecr": allowAll("ecr:*")})
	// The session first: it expires while the rest is made.
	session, expires := assumeRole(t, s, identity, roleARN, "matrix", 2)
	sessionPassword := ecrPassword(t, s, session)
	denied := newIAMUser(t, s, root, "matrix-denied", nil)
	deniedDocker := newIAMUser(t, s, root, "matrix-denied-docker", map[string]string{"token": getToken})
	repopol := newIAMUser(t, s, root, "matrix-repopol", nil)
	repopolDocker := newIAMUser(t, s, root, "matrix-repopol-docker", map[string]string{"token": getToken})
	deleted := newIAMUser(t, s, root, "matrix-deleted", map[string]string{"ecr": allowAll("ecr:*")})
	admin := newIAMUser(t, s, root, "matrix-admin", nil, awsPolicyPrefix+"AdministratorAccess")

	// Account B, made by Organizations, and its user, made through OrganizationAccountAccessRole.
	b := createMemberAccount(t, s, "matrix-member", "matrix-member@example.com")
	inB, _ := assumeRole(t, s, admin, orgAccessRole(b), "setup", 0)
	cross := newIAMUser(t, s, inB, "matrix-cross", map[string]string{"ecr": allowAll("ecr:*")})

	passwords := map[string]string{}
	for _, p := range []iamCreds{identity, deniedDocker, repopolDocker, deleted, cross} {
		passwords[p.ARN] = ecrPassword(t, s, p)
	}
	must(t, "DeleteAccessKey", deleteKey(t, s, root, "matrix-deleted", deleted.KeyID))

	policy := policyDoc(map[string]any{"Sid": "matrix", "Effect": "Allow", "Action": "ecr:*",
		"Principal": map[string]any{"AWS": []string{repopol.ARN, repopolDocker.ARN, "arn:aws:iam::" + b + ":root"}}})
	fx := newECRFixture(t, s, policy)
	badsig := identity
	badsig.Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
	invalidV2 := func(c matrixCell) matrixCell {
		c.v2Status, c.v2Code, c.v2Msg = http.StatusUnauthorized, "UNAUTHORIZED", iamMsgV2Invalid
		return c
	}
	cells := []matrixCell{
		{name: "none", jsonType: "MissingAuthenticationTokenException", jsonMsg: iamMsgMissingToken,
			v2Status: http.StatusUnauthorized, v2Code: "UNAUTHORIZED"},
		invalidV2(matrixCell{name: "badsig", json: badsig, password: tamper(passwords[identity.ARN]),
			jsonType: "InvalidSignatureException", jsonMsg: ecrMsgSignatureMismatch}),
		invalidV2(matrixCell{name: "deleted", json: deleted, password: passwords[deleted.ARN],
			jsonType: "UnrecognizedClientException", jsonMsg: ecrMsgInvalidToken}),
		{name: "expired", json: session, password: sessionPassword, jsonType: "ExpiredTokenException", jsonMsg: iamMsgExpiredToken,
			v2Status: http.StatusForbidden, v2Code: "DENIED", v2Msg: iamMsgV2Expired},
		{name: "denied", json: denied, password: passwords[deniedDocker.ARN], v2ARN: deniedDocker.ARN},
		{name: "identity", json: identity, password: passwords[identity.ARN], v2ARN: identity.ARN},
		{name: "repopol", json: repopol, password: passwords[repopolDocker.ARN], v2ARN: repopolDocker.ARN},
		{name: "cross", json: cross, password: passwords[cross.ARN], v2ARN: cross.ARN},
		{name: "crossnopol", json: cross, password: passwords[cross.ARN], v2ARN: cross.ARN},
	}
	for i := range cells {
		c := &cells[i]
		if c.name != matrixCells[i] {
			t.Fatalf("cell %d is %s, want %s", i, c.name, matrixCells[i])
		}
		account, registryID := a, ""
		if strings.HasPrefix(c.name, "cross") {
			account, registryID = b, a
		}
		c.x = fx.cell(t, c.name, account, registryID, c.name != "crossnopol")
	}

	// Every operation of the tables is served and every one served is in the tables.
	ops, v2 := ecrOps(), v2Ops()
	var labels, opNames []string
	for _, oc := range ops {
		labels, opNames = append(labels, oc.label), append(opNames, oc.op)
	}
	for _, op := range ecrOperationsServed(t) {
		if !slices.Contains(opNames, op) {
			t.Errorf("berth serves %s, which the matrix does not call", op)
		}
	}
	for label := range matrixECR {
		if !slices.Contains(labels, label) {
			t.Errorf("matrixECR has a row for %s, which the matrix does not call", label)
		}
	}
	for _, oc := range v2 {
		if _, ok := matrixV2[oc.name]; !ok {
			t.Errorf("matrixV2 has no row for %s", oc.name)
		}
	}
	t.Logf("set up in %s; %d ECR operations and %d /v2 actions × %d cells", time.Since(start).Round(time.Millisecond),
		len(ops), len(v2), len(cells))
	time.Sleep(time.Until(expires.Add(200 * time.Millisecond)))

	var report strings.Builder
	tw := tabwriter.NewWriter(&report, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CELL\tOPERATION\tWANT\tGOT\n")
	failures := 0
	fail := func(cell, op string, want outcome, got string) {
		failures++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell, op, want, got)
	}
	for _, c := range cells {
		col := slices.Index(matrixCells, c.name)
		for _, oc := range ops {
			want, ok := matrixECR[oc.label]
			if !ok {
				t.Errorf("matrixECR has no row for %s", oc.label)
				continue
			}
			if got, ok := checkECRCell(t, fx, c, oc, want[col]); !ok {
				fail(c.name, oc.label, want[col], got)
			}
		}
		v := newECRV2Client(s, c.password)
		for _, oc := range v2 {
			if got, ok := checkV2Cell(t, v, fx, s, c, oc, matrixV2[oc.name][col]); !ok {
				fail(c.name, "/v2 "+oc.name, matrixV2[oc.name][col], got)
			}
		}
	}
	tw.Flush()
	if failures > 0 {
		t.Errorf("%d of %d cells are wrong:\n%s", failures, len(cells)*(len(ops)+len(v2)), report.String())
	}
	t.Logf("%d cells in %s", len(cells)*(len(ops)+len(v2)), time.Since(start).Round(time.Millisecond))

	t.Run("a push that creates its repository needs ecr:CreateRepository", func(t *testing.T) {
		repo := "matrix/created-by-push"
		power := newIAMUser(t, s, root, "matrix-power", nil, awsPolicyPrefix+"AmazonEC2ContainerRegistryPowerUser")
		resp, body := newECRV2Client(s, ecrPassword(t, s, power)).do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
		want := deniedMessage(power.ARN, "ecr:CreateRepository", repoARN(a, repo), noIdentityClause("ecr:CreateRepository"))
		if code, msg := v2Error(body); resp.StatusCode != http.StatusForbidden || code != "DENIED" || msg != want {
			t.Errorf("push to a new repository as a PowerUser: %d %s, want 403 DENIED %q", resp.StatusCode, body, want)
		}
		status, _, out := signedECR(t, s, root, "DescribeRepositories", []byte(`{"repositoryNames":["`+repo+`"]}`))
		if status != http.StatusBadRequest || !strings.Contains(string(out), "RepositoryNotFoundException") {
			t.Errorf("the refused push created %s: %d %s", repo, status, out)
		}
		resp, body = newECRV2Client(s, passwords[identity.ARN]).do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("push to a new repository with ecr:*: %d %s, want 202", resp.StatusCode, body)
		}
		ecrAs(t, s, root, "DescribeRepositories", map[string]any{"repositoryNames": []string{repo}}, nil)
	})

	t.Run("a cross-repository mount needs read access to the source", func(t *testing.T) {
		// Allowed everything on its repository only: the mount is refused, an upload starts instead.
		target := "matrix/mount-target"
		ecrAs(t, s, root, "CreateRepository", map[string]any{"repositoryName": target}, nil)
		mounter := newIAMUser(t, s, root, "matrix-mounter", map[string]string{"token": getToken,
			"target": policyDoc(stmt("Allow", "ecr:*", repoARN(a, target)))})
		layer := sha256Digest(fx.img.layers[0])
		mount := "/v2/" + target + "/blobs/uploads/?mount=" + layer + "&from=" + fixtureRepoNoPolicy
		resp, body := newECRV2Client(s, ecrPassword(t, s, mounter)).do(t, http.MethodPost, mount, nil)
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(resp.Header.Get("Location"), "/blobs/uploads/") {
			t.Errorf("mount without read access to the source: %d %s (Location %q), want 202 and an upload", resp.StatusCode, body, resp.Header.Get("Location"))
		}
		if resp, _ := fx.v2.do(t, http.MethodHead, "/v2/"+target+"/blobs/"+layer, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("HEAD of the blob in %s after the refused mount: %d, want 404", target, resp.StatusCode)
		}
		// With read access to the source, the same request mounts.
		resp, body = newECRV2Client(s, passwords[identity.ARN]).do(t, http.MethodPost, mount, nil)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Docker-Content-Digest") != layer {
			t.Errorf("mount with read access to the source: %d %s, want 201 %s", resp.StatusCode, body, layer)
		}
	})
}

// checkECRCell makes one ECR call of a cell and reports what it got and whether that is want.
func checkECRCell(t testing.TB, fx *ecrFixture, c matrixCell, oc ecrOpCase, want outcome) (string, bool) {
	t.Helper()
	status, typ, msg, problem := callECR(t, fx, c.json, c.x, oc)
	got := fmt.Sprintf("%d %s: %s", status, typ, msg)
	if status == http.StatusOK {
		got = "allowed"
		if problem != "" {
			got = "200 but " + problem
		}
	} else if problem != "" {
		got = fmt.Sprintf("%d %s", status, problem)
	}
	_, repo := oc.in(fx, c.x)
	registry := c.x.registry
	if repo == "" {
		registry = c.x.account
	}
	switch want {
	case U:
		return got, status == http.StatusBadRequest && typ == c.jsonType && msg == c.jsonMsg
	case DI, DR:
		clause := noIdentityClause(oc.action())
		if want == DR {
			clause = noResourceClause(oc.action())
		}
		wantMsg := deniedMessage(c.json.ARN, oc.action(), oc.resource(repo, registry), clause)
		if status == http.StatusBadRequest && typ == "AccessDeniedException" && msg != wantMsg {
			got += "\n  want message: " + wantMsg
		}
		return got, status == http.StatusBadRequest && typ == "AccessDeniedException" && msg == wantMsg
	}
	return got, got == "allowed"
}

// checkV2Cell makes one /v2 request of a cell and reports what it got and whether that is want.
func checkV2Cell(t testing.TB, v *ecrV2Client, fx *ecrFixture, s *Server, c matrixCell, oc v2OpCase, want outcome) (string, bool) {
	t.Helper()
	resp, body := oc.do(t, v, fx, c.x)
	head := resp.Request.Method == http.MethodHead
	code, msg := v2Error(body)
	got := fmt.Sprintf("%d %s: %s", resp.StatusCode, code, msg)
	if head {
		got = fmt.Sprintf("%d (HEAD, %d bytes)", resp.StatusCode, len(body))
	}
	switch want {
	case U:
		ok := resp.StatusCode == c.v2Status && (head && len(body) == 0 || code == c.v2Code && (c.v2Msg == "" || msg == c.v2Msg))
		if resp.StatusCode == http.StatusUnauthorized {
			challenge := `Basic realm="http://` + s.Addr + `/",service="ecr.amazonaws.com"`
			if h := resp.Header.Get("WWW-Authenticate"); h != challenge {
				ok = false
				got += fmt.Sprintf(" (WWW-Authenticate %q)", h)
			}
		}
		if c.name == "none" && !head && !strings.Contains(msg, "aws ecr get-login-password") {
			ok = false
		}
		return got, ok
	case DI, DR:
		resource := repoARN(c.x.registry, c.x.repo)
		if oc.catalog {
			resource = repoARN(c.x.registry, "*")
		}
		clause := noIdentityClause(oc.action)
		if want == DR {
			clause = noResourceClause(oc.action)
		}
		wantMsg := deniedMessage(c.v2ARN, oc.action, resource, clause)
		if head {
			return got, resp.StatusCode == http.StatusForbidden && len(body) == 0
		}
		if resp.StatusCode == http.StatusForbidden && code == "DENIED" && msg != wantMsg {
			got += "\n  want message: " + wantMsg
		}
		return got, resp.StatusCode == http.StatusForbidden && code == "DENIED" && msg == wantMsg
	}
	if resp.StatusCode != oc.status {
		return got, false
	}
	if problem := oc.check(fx, c.x, resp, body); problem != "" {
		return fmt.Sprintf("%d but %s", resp.StatusCode, problem), false
	}
	return "allowed", true
}

package iam

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// registryPolicyScopeSetting is the account setting that says which actions the
// registry policy governs: V2 (the default) all ECR actions, V1 only these.
const registryPolicyScopeSetting = "REGISTRY_POLICY_SCOPE"

var registryPolicyV1Actions = map[string]bool{
	"ecr:replicateimage": true, "ecr:batchimportupstreamimage": true, "ecr:createrepository": true,
}

// Authorize answers req: nil if AWS's evaluation logic allows it, else an
// *errcode.Error with Code Denied and AWS's AccessDenied message.
func (s *Service) Authorize(ctx context.Context, req Request) error {
	reason, preq, err := s.decide(ctx, req)
	if err != nil {
		return err
	}
	if reason == policy.Allowed {
		return nil
	}
	if preq == nil {
		preq = &policy.Request{Principal: req.Principal.policyPrincipal(s.org.ID), Action: req.Action, Resource: req.Resource}
	}
	return errcode.New(errcode.Denied, "%s", policy.DenyMessage(preq, reason))
}

// Allowed reports whether req is allowed, for callers that filter rather than fail
// (the /v2 catalog).
func (s *Service) Allowed(ctx context.Context, req Request) (bool, error) {
	reason, _, err := s.decide(ctx, req)
	return err == nil && reason == policy.Allowed, err
}

// decide evaluates req, from the decision cache when it can. The policy request is
// returned when it was built (not on a cache hit).
func (s *Service) decide(ctx context.Context, req Request) (policy.Reason, *policy.Request, error) {
	p := req.Principal
	account := req.ResourceAccount
	if account == "" {
		account = p.AccountID
	}
	epoch := s.store.AuthEpoch()
	c := s.cache
	decisions := func() map[decisionKey]policy.Reason { return c.decisions }
	key := decisionKey{principal: p.ARN, action: req.Action, resource: req.Resource, account: account}
	if p.SessionPolicy != "" {
		key.principal += "\x00" + p.SessionPolicy
	}
	cacheable := len(req.Context) == 0
	if cacheable {
		if r, ok := lookup(c, epoch, decisions, key); ok {
			return r, nil, nil
		}
	}
	in := policy.Input{Root: p.IsRoot(), ResourceAccount: account}
	if !in.Root {
		docs, err := s.identityPolicies(ctx, epoch, p)
		if err != nil {
			return 0, nil, err
		}
		in.Identity = docs
	}
	if p.SessionPolicy != "" {
		doc, err := s.parse(p.SessionPolicy, policy.Identity)
		if err != nil {
			return 0, nil, fmt.Errorf("session policy of %s: %w", p.ARN, err)
		}
		in.Session = []*policy.Document{doc}
	}
	res, err := s.resourcePolicies(ctx, epoch, account, req.Action, req.Resource)
	if err != nil {
		return 0, nil, err
	}
	in.Resource = res.docs
	preq := &policy.Request{Principal: p.policyPrincipal(s.org.ID), Action: req.Action, Resource: req.Resource,
		Context: s.requestContext(req, res.tags)}
	d := policy.Decide(in, preq)
	if cacheable && !d.Volatile {
		store(c, epoch, decisions, key, d.Reason)
	}
	return d.Reason, preq, nil
}

// requestContext is the condition context of req: what the connection says, the
// time, the resource's tags and what the caller added.
func (s *Service) requestContext(req Request, tags []meta.ResourceTag) map[string][]string {
	now := s.now().UTC()
	ctx := make(map[string][]string, 4+2*len(tags)+len(req.Context))
	if req.SourceIP != "" {
		ctx["aws:SourceIp"] = []string{req.SourceIP}
	}
	ctx["aws:SecureTransport"] = []string{strconv.FormatBool(req.Secure)}
	ctx["aws:CurrentTime"] = []string{now.Format("2006-01-02T15:04:05Z")}
	ctx["aws:EpochTime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	for _, t := range tags {
		ctx["ecr:ResourceTag/"+t.Key] = []string{t.Value}
		ctx["aws:ResourceTag/"+t.Key] = []string{t.Value}
	}
	for k, v := range req.Context {
		ctx[k] = v
	}
	return ctx
}

// identityPolicies returns the identity-based policies of a user or a role session's
// role; none for an identity that no longer exists.
func (s *Service) identityPolicies(ctx context.Context, epoch uint64, p Principal) ([]*policy.Document, error) {
	var kind meta.IAMKind
	var name string
	switch p.Type {
	case TypeUser:
		kind, name = meta.KindUser, p.UserName
	case TypeAssumedRole:
		kind, name = meta.KindRole, p.RoleName
	default:
		return nil, nil
	}
	c := s.cache
	identity := func() map[string]identityPolicies { return c.identity }
	key := p.AccountID + "\x00" + string(kind) + "\x00" + strings.ToLower(name)
	if ip, ok := lookup(c, epoch, identity, key); ok {
		return ip.docs, nil
	}
	texts, managed, err := s.store.IdentityPolicies(ctx, p.AccountID, kind, name)
	if errors.Is(err, meta.ErrNotFound) {
		store(c, epoch, identity, key, identityPolicies{})
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("policies of %s: %w", p.ARN, err)
	}
	ip := identityPolicies{exists: true, docs: make([]*policy.Document, 0, len(texts)+len(managed))}
	for _, text := range texts {
		doc, err := s.parse(text, policy.Identity)
		if err != nil {
			// Documents are validated when written; one that no longer parses (a
			// stricter berth) grants nothing rather than failing every request.
			s.log.Warn("ignoring a stored policy that does not parse", "principal", p.ARN, "err", err)
			continue
		}
		ip.docs = append(ip.docs, doc)
	}
	for _, arn := range managed {
		if m, ok := s.managed[arn]; ok {
			ip.docs = append(ip.docs, m.doc)
		}
	}
	store(c, epoch, identity, key, ip)
	return ip.docs, nil
}

// resourcePolicies returns the resource-based policies that bear on action on
// resource in account: for ECR, the repository's policy and the registry's.
func (s *Service) resourcePolicies(ctx context.Context, epoch uint64, account, action, resource string) (resourcePolicies, error) {
	if !strings.HasPrefix(strings.ToLower(action), "ecr:") {
		return resourcePolicies{}, nil
	}
	repo := ""
	if name, ok := strings.CutPrefix(resource, "arn:aws:ecr:"+s.region+":"+account+":repository/"); ok {
		repo = name
	}
	c := s.cache
	resources := func() map[resourceKey]resourcePolicies { return c.resources }
	key := resourceKey{account: account, repository: repo}
	rp, ok := lookup(c, epoch, resources, key)
	if !ok {
		var err error
		if rp, err = s.loadResourcePolicies(ctx, account, repo); err != nil {
			return resourcePolicies{}, err
		}
		store(c, epoch, resources, key, rp)
	}
	if rp.registryV1 && !registryPolicyV1Actions[strings.ToLower(action)] && rp.registry != nil {
		// Under V1 the registry policy governs only its three actions.
		return resourcePolicies{docs: rp.docs[:len(rp.docs)-1], tags: rp.tags}, nil
	}
	return rp, nil
}

func (s *Service) loadResourcePolicies(ctx context.Context, account, repo string) (resourcePolicies, error) {
	var rp resourcePolicies
	if repo != "" && repo != "*" {
		r, err := s.store.GetRepository(ctx, account, repo)
		switch {
		case errors.Is(err, meta.ErrNotFound):
		case err != nil:
			return rp, fmt.Errorf("repository %s: %w", repo, err)
		default:
			if rp.tags, err = s.store.ResourceTags(ctx, r.ID); err != nil {
				return rp, fmt.Errorf("tags of %s: %w", repo, err)
			}
			text, err := s.store.RepositoryPolicy(ctx, r.ID)
			if err != nil && !errors.Is(err, meta.ErrNotFound) {
				return rp, fmt.Errorf("policy of %s: %w", repo, err)
			}
			if err == nil {
				if doc := s.parseStored(text, "repository "+repo); doc != nil {
					rp.docs = append(rp.docs, doc)
				}
			}
		}
	}
	text, err := s.store.RegistryPolicy(ctx, account)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return rp, fmt.Errorf("registry policy of %s: %w", account, err)
	}
	if err == nil {
		if doc := s.parseStored(text, "registry "+account); doc != nil {
			rp.registry = doc
			rp.docs = append(rp.docs, doc)
			scope, err := s.store.AccountSetting(ctx, account, registryPolicyScopeSetting)
			if err != nil && !errors.Is(err, meta.ErrNotFound) {
				return rp, fmt.Errorf("registry policy scope of %s: %w", account, err)
			}
			rp.registryV1 = scope == "V1"
		}
	}
	return rp, nil
}

func (s *Service) parseStored(text, owner string) *policy.Document {
	doc, err := s.parse(text, policy.Resource)
	if err != nil {
		s.log.Warn("ignoring a stored resource policy that does not parse", "owner", owner, "err", err)
		return nil
	}
	return doc
}

// parsedDocs remembers parsed documents by text: the same few documents are parsed
// again at every epoch otherwise.
type parsedDocs struct {
	mu   sync.Mutex
	docs map[parsedKey]*policy.Document
}

type parsedKey struct {
	text string
	kind policy.Kind
}

// parse returns the parsed document of text, from the parse cache when it can.
func (s *Service) parse(text string, kind policy.Kind) (*policy.Document, error) {
	key := parsedKey{text: text, kind: kind}
	s.parsed.mu.Lock()
	doc, ok := s.parsed.docs[key]
	s.parsed.mu.Unlock()
	if ok {
		return doc, nil
	}
	doc, err := policy.Parse(text, kind)
	if err != nil {
		return nil, err
	}
	s.parsed.mu.Lock()
	if s.parsed.docs == nil || len(s.parsed.docs) >= maxCacheEntries/10 {
		s.parsed.docs = map[parsedKey]*policy.Document{}
	}
	s.parsed.docs[key] = doc
	s.parsed.mu.Unlock()
	return doc, nil
}

// LocksOut reports whether the resource policy text explicitly denies caller action
// on resource: setting it would keep the caller from changing it again.
func (s *Service) LocksOut(caller Principal, text, action, resource string) bool {
	doc, err := s.parse(text, policy.Resource)
	if err != nil {
		return false
	}
	return doc.Evaluate(&policy.Request{Principal: caller.policyPrincipal(s.org.ID), Action: action, Resource: resource}).Deny
}

package ecr

import (
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

// mutabilityInput validates imageTagMutability with its exclusion filters, which must
// be given exactly for the *_WITH_EXCLUSION modes.
func mutabilityInput(mode string, filters *[]exclusionFilter) ([]string, error) {
	if err := oneOf("imageTagMutability", mode, registry.Mutable, registry.Immutable,
		registry.ImmutableWithExclusion, registry.MutableWithExclusion); err != nil {
		return nil, err
	}
	withExclusion := mode == registry.ImmutableWithExclusion || mode == registry.MutableWithExclusion
	if withExclusion != (filters != nil) {
		if withExclusion {
			return nil, invalid("imageTagMutabilityExclusionFilters",
				"ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as %s", mode)
		}
		return nil, invalid("imageTagMutabilityExclusionFilters",
			"ImageTagMutabilityExclusionFilters can only be set when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not %s", mode)
	}
	if filters == nil {
		return nil, nil
	}
	if err := listLength("imageTagMutabilityExclusionFilters", len(*filters), 1, 5); err != nil {
		return nil, err
	}
	var out []string
	for i, f := range *filters {
		if f.FilterType != "WILDCARD" {
			return nil, invalid("imageTagMutabilityExclusionFilters."+itoa(i+1)+".member.filterType",
				"Member must satisfy enum value set: [WILDCARD]")
		}
		if !registry.ValidExclusionFilter(f.Filter) {
			return nil, invalid("imageTagMutabilityExclusionFilters."+itoa(i+1)+".member.filter",
				"Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{1,128}$")
		}
		out = append(out, f.Filter)
	}
	return out, nil
}

type createRepositoryInput struct {
	RegistryID                         string                   `json:"registryId"`
	RepositoryName                     string                   `json:"repositoryName"`
	Tags                               []resourceTag            `json:"tags"`
	ImageTagMutability                 *string                  `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters *[]exclusionFilter       `json:"imageTagMutabilityExclusionFilters"`
	ImageScanningConfiguration         *scanningConfiguration   `json:"imageScanningConfiguration"`
	EncryptionConfiguration            *encryptionConfiguration `json:"encryptionConfiguration"`
}

func (h *Handler) createRepository(c *call) (any, error) {
	var in createRepositoryInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	c.authContext = requestTags(in.Tags)
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	settings := meta.Repository{TagMutability: registry.Mutable, EncryptionType: "AES256"}
	if in.ImageTagMutability != nil || in.ImageTagMutabilityExclusionFilters != nil {
		mode := registry.Mutable
		if in.ImageTagMutability != nil {
			mode = *in.ImageTagMutability
		}
		if settings.MutabilityExclusions, err = mutabilityInput(mode, in.ImageTagMutabilityExclusionFilters); err != nil {
			return nil, err
		}
		settings.TagMutability = mode
	}
	if in.ImageScanningConfiguration != nil {
		settings.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		if err := encryptionInput(e); err != nil {
			return nil, err
		}
		// The registry resolves kmsKey (or, without one, the account's AWS managed key
		// for ECR) to the key's ARN.
		settings.EncryptionType, settings.KMSKey = e.EncryptionType, e.KMSKey
		if e.EncryptionType != "AES256" && e.KMSKey != "" {
			if settings.KMSKey, err = h.customerKey(c, rr.Registry, e.KMSKey); err != nil {
				return nil, err
			}
		}
	}
	tags, err := tagsInput(in.Tags)
	if err != nil {
		return nil, err
	}
	repo, err := h.reg.CreateRepository(c.ctx, rr, settings, tags)
	if err != nil {
		return nil, err
	}
	return map[string]any{"repository": h.repositoryShape(c, repo)}, nil
}

func encryptionInput(e *encryptionConfiguration) error {
	if err := oneOf("encryptionConfiguration.encryptionType", e.EncryptionType, "AES256", "KMS", "KMS_DSSE"); err != nil {
		return err
	}
	if e.EncryptionType == "AES256" && e.KMSKey != "" {
		return invalid("encryptionConfiguration.kmsKey", "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE")
	}
	return stringLength("encryptionConfiguration.kmsKey", e.KMSKey, 0, 2048)
}

type describeRepositoriesInput struct {
	RegistryID      string    `json:"registryId"`
	RepositoryNames *[]string `json:"repositoryNames"`
	NextToken       *string   `json:"nextToken"`
	MaxResults      *int      `json:"maxResults"`
}

func (h *Handler) describeRepositories(c *call) (any, error) {
	var in describeRepositoriesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	out := []repositoryShape{}
	if in.RepositoryNames != nil {
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, invalid("repositoryNames", "repositoryNames cannot be combined with nextToken or maxResults")
		}
		if err := listLength("repositoryNames", len(*in.RepositoryNames), 1, 100); err != nil {
			return nil, err
		}
		// Every named repository is authorized before any is read: one denied name
		// denies the call, as IAM does.
		refs := make([]registry.RepoRef, len(*in.RepositoryNames))
		for i, name := range *in.RepositoryNames {
			rr, err := h.repoRef(c, in.RegistryID, name)
			if err != nil {
				return nil, err
			}
			refs[i] = rr
		}
		for _, rr := range refs {
			repo, err := h.reg.Repository(c.ctx, rr)
			if err != nil {
				return nil, err
			}
			out = append(out, h.repositoryShape(c, repo))
		}
		return map[string]any{"repositories": out}, nil
	}
	registryID, err := h.registry(c, in.RegistryID, "*")
	if err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults, 1000, 100)
	if err != nil {
		return nil, err
	}
	tok, err := decodeToken(c.op, in.NextToken)
	if err != nil {
		return nil, err
	}
	repos, more, err := h.reg.Repositories(c.ctx, registryID, tok.After, limit)
	if err != nil {
		return nil, err
	}
	for _, r := range repos {
		out = append(out, h.repositoryShape(c, r))
	}
	resp := map[string]any{"repositories": out}
	if more {
		resp["nextToken"] = nextToken{Op: c.op, After: repos[len(repos)-1].Name}.encode()
	}
	return resp, nil
}

type deleteRepositoryInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	Force          bool   `json:"force"`
}

func (h *Handler) deleteRepository(c *call) (any, error) {
	var in deleteRepositoryInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	repo, err := h.reg.DeleteRepository(c.ctx, rr, in.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"repository": h.repositoryShape(c, repo)}, nil
}

type putImageTagMutabilityInput struct {
	RegistryID                         string             `json:"registryId"`
	RepositoryName                     string             `json:"repositoryName"`
	ImageTagMutability                 *string            `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters *[]exclusionFilter `json:"imageTagMutabilityExclusionFilters"`
}

func (h *Handler) putImageTagMutability(c *call) (any, error) {
	var in putImageTagMutabilityInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("imageTagMutability", in.ImageTagMutability != nil); err != nil {
		return nil, err
	}
	filters, err := mutabilityInput(*in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters)
	if err != nil {
		return nil, err
	}
	repo, err := h.reg.UpdateRepository(c.ctx, rr, func(r *meta.Repository) {
		r.TagMutability, r.MutabilityExclusions = *in.ImageTagMutability, filters
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"registryId": repo.RegistryID, "repositoryName": repo.Name,
		"imageTagMutability": repo.TagMutability}
	if f := exclusionFilters(repo.MutabilityExclusions); f != nil {
		out["imageTagMutabilityExclusionFilters"] = f
	}
	return out, nil
}

type putImageScanningConfigurationInput struct {
	RegistryID                 string                 `json:"registryId"`
	RepositoryName             string                 `json:"repositoryName"`
	ImageScanningConfiguration *scanningConfiguration `json:"imageScanningConfiguration"`
}

func (h *Handler) putImageScanningConfiguration(c *call) (any, error) {
	var in putImageScanningConfigurationInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("imageScanningConfiguration", in.ImageScanningConfiguration != nil); err != nil {
		return nil, err
	}
	repo, err := h.reg.UpdateRepository(c.ctx, rr, func(r *meta.Repository) {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": repo.RegistryID, "repositoryName": repo.Name,
		"imageScanningConfiguration": scanningConfiguration{ScanOnPush: repo.ScanOnPush}}, nil
}

func (h *Handler) describeRegistry(c *call) (any, error) {
	var in struct{}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	return map[string]any{
		"registryId":               c.account.ID,
		"replicationConfiguration": map[string]any{"rules": []any{}},
	}, nil
}

// requestTags are the condition keys of the tags a request sets (aws:RequestTag/<key>
// and aws:TagKeys); nil for none.
func requestTags(tags []resourceTag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string][]string{}
	for _, t := range tags {
		if t.Key == nil {
			continue
		}
		value := ""
		if t.Value != nil {
			value = *t.Value
		}
		ctx["aws:RequestTag/"+*t.Key] = []string{value}
		ctx["aws:TagKeys"] = append(ctx["aws:TagKeys"], *t.Key)
	}
	return ctx
}

// tagsInput validates resource tags as ECR does: keys 1..128, values 0..256.
func tagsInput(tags []resourceTag) ([]meta.ResourceTag, error) {
	if len(tags) > registry.MaxResourceTags {
		return nil, errcode.New(errcode.TooManyTags, "The maximum number of tags that can be applied to a repository is %d.", registry.MaxResourceTags)
	}
	out := make([]meta.ResourceTag, 0, len(tags))
	for _, t := range tags {
		if t.Key == nil || t.Value == nil {
			return nil, errcode.New(errcode.InvalidTagParameter, "A tag must have both a Key and a Value.")
		}
		if len(*t.Key) < 1 || len(*t.Key) > 128 {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag key %q must be 1 to 128 characters long.", *t.Key)
		}
		if len(*t.Value) > 256 {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag value of key %q must be at most 256 characters long.", *t.Key)
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag key %q uses the reserved prefix aws:.", *t.Key)
		}
		out = append(out, meta.ResourceTag{Key: *t.Key, Value: *t.Value})
	}
	return out, nil
}

// customerKey resolves the customer managed key a new repository names and checks, as
// ECR does, that the caller may use it: ECR describes the key and creates grants on it
// as the caller (kms:DescribeKey, kms:CreateGrant).
func (h *Handler) customerKey(c *call, account, kmsKey string) (string, error) {
	arn, err := h.reg.RepositoryKey(c.ctx, account, kmsKey)
	if err != nil {
		return "", err
	}
	for _, action := range []string{"kms:DescribeKey", "kms:CreateGrant"} {
		err := h.id.Authorize(c.ctx, iam.Request{Principal: c.principal, Action: action, Resource: arn,
			ResourceAccount: account, SourceIP: sourceIP(c.r), Secure: c.r.TLS != nil})
		if errcode.Is(err, errcode.Denied) {
			return "", registry.KMSDenied(err)
		}
		if err != nil {
			return "", err
		}
	}
	return arn, nil
}

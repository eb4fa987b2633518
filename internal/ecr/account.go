package ecr

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

func itoa(n int) string { return strconv.Itoa(n) }

type getAuthorizationTokenInput struct {
	RegistryIDs *[]string `json:"registryIds"`
}

type authorizationData struct {
	AuthorizationToken string        `json:"authorizationToken"`
	ExpiresAt          awsproto.Time `json:"expiresAt"`
	ProxyEndpoint      string        `json:"proxyEndpoint"`
}

// getAuthorizationToken issues the token of docker login: base64("AWS:<password>"),
// valid 12 hours for every registry the caller may access.
func (h *Handler) getAuthorizationToken(c *call) (any, error) {
	var in getAuthorizationTokenInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	// The token is the caller's, for every registry it may access: registryIds do
	// not change its scope (the model), so only the action itself is authorized.
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	ids := []string{c.account.ID}
	if in.RegistryIDs != nil {
		if err := listLength("registryIds", len(*in.RegistryIDs), 1, 10); err != nil {
			return nil, err
		}
		for _, id := range *in.RegistryIDs {
			if err := validateRegistryID(id); err != nil {
				return nil, err
			}
		}
		ids = *in.RegistryIDs
	}
	password, expires := h.id.IssueToken(c.principal)
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	data := make([]authorizationData, 0, len(ids))
	for _, id := range ids {
		data = append(data, authorizationData{AuthorizationToken: token, ExpiresAt: awsproto.Time{Time: expires},
			ProxyEndpoint: c.proxyEndpoint(h, id)})
	}
	return map[string]any{"authorizationData": data}, nil
}

// repositoryARNPattern splits a repository ARN.
var repositoryARNPattern = regexp.MustCompile(`^arn:aws:ecr:([a-z0-9-]+):([0-9]{12}):repository/(.+)$`)

// resourceRepository resolves the repository a resource ARN names.
func (h *Handler) resourceRepository(c *call, arn string) (registry.RepoRef, error) {
	if err := required("resourceArn", arn != ""); err != nil {
		return registry.RepoRef{}, err
	}
	m := repositoryARNPattern.FindStringSubmatch(arn)
	if m == nil || m[1] != h.region {
		return registry.RepoRef{}, invalid("resourceArn", "Invalid ARN")
	}
	return h.repoRef(c, m[2], m[3])
}

type tagResourceInput struct {
	ResourceArn string        `json:"resourceArn"`
	Tags        []resourceTag `json:"tags"`
	TagKeys     []string      `json:"tagKeys"`
}

func (h *Handler) tagResource(c *call) (any, error) {
	var in tagResourceInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	c.authContext = requestTags(in.Tags)
	rr, err := h.resourceRepository(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := required("tags", in.Tags != nil); err != nil {
		return nil, err
	}
	tags, err := tagsInput(in.Tags)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.reg.ChangeResourceTags(c.ctx, rr, tags, nil)
}

func (h *Handler) untagResource(c *call) (any, error) {
	var in tagResourceInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.TagKeys) > 0 {
		c.authContext = map[string][]string{"aws:TagKeys": in.TagKeys}
	}
	rr, err := h.resourceRepository(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := required("tagKeys", in.TagKeys != nil); err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		if len(k) < 1 || len(k) > 128 {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag key %q must be 1 to 128 characters long.", k)
		}
	}
	return struct{}{}, h.reg.ChangeResourceTags(c.ctx, rr, nil, in.TagKeys)
}

func (h *Handler) listTagsForResource(c *call) (any, error) {
	var in tagResourceInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.resourceRepository(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := h.reg.ResourceTags(c.ctx, rr)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(tags))
	for i, t := range tags {
		out[i] = map[string]string{"Key": t.Key, "Value": t.Value}
	}
	return map[string]any{"tags": out}, nil
}

// accountSettings are the settings of GetAccountSetting / PutAccountSetting: their
// allowed values, the default first.
var accountSettings = map[string][]string{
	"BASIC_SCAN_TYPE_VERSION": {"AWS_NATIVE", "CLAIR"},
	"REGISTRY_POLICY_SCOPE":   {"V2", "V1"},
	// berth mounts blobs across repositories unless told not to.
	registry.BlobMountingSetting: {"ENABLED", "DISABLED"},
}

type accountSettingInput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func settingName(name string) ([]string, error) {
	if err := stringLength("name", name, 1, 64); err != nil {
		return nil, err
	}
	values, ok := accountSettings[name]
	if !ok {
		return nil, errcode.New(errcode.Validation,
			"Account setting name '%s' is not valid; valid names are BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE and BLOB_MOUNTING.", name)
	}
	return values, nil
}

func (h *Handler) getAccountSetting(c *call) (any, error) {
	var in accountSettingInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	values, err := settingName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	value, err := h.store.AccountSetting(c.ctx, c.account.ID, in.Name)
	if errors.Is(err, meta.ErrNotFound) {
		value, err = values[0], nil
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": in.Name, "value": value}, nil
}

func (h *Handler) putAccountSetting(c *call) (any, error) {
	var in accountSettingInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	values, err := settingName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := stringLength("value", in.Value, 1, 64); err != nil {
		return nil, err
	}
	valid := false
	for _, v := range values {
		valid = valid || v == in.Value
	}
	if !valid {
		return nil, errcode.New(errcode.Validation, "Value '%s' is not valid for account setting %s; valid values are %v.",
			in.Value, in.Name, values)
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	if err := h.store.PutAccountSetting(c.ctx, c.account.ID, in.Name, in.Value); err != nil {
		return nil, err
	}
	return map[string]any{"name": in.Name, "value": in.Value}, nil
}

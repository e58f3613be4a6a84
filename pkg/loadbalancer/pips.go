package loadbalancer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// serviceTagValues splits the k8s-azure-service tag ("ns/a,ns/b").
func serviceTagValues(tags map[string]*string) []string {
	var out []string
	for k, v := range tags {
		if !strings.EqualFold(k, TagService) || v == nil {
			continue
		}
		for _, s := range strings.Split(*v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func tagValue(tags map[string]*string, key string) (string, bool) {
	for k, v := range tags {
		if strings.EqualFold(k, key) {
			return ptr.Deref(v, ""), true
		}
	}
	return "", false
}

// ownedBy reports whether the provider created pip for the Service in this cluster: the service tag
// names it and the cluster tag, when present, is this cluster. A public IP without the service tag is
// the user's and is never changed or deleted.
func ownedBy(pip *armnetwork.PublicIPAddress, serviceKey, clusterName string) bool {
	if cluster, ok := tagValue(pip.Tags, TagClusterName); ok && !strings.EqualFold(cluster, clusterName) {
		return false
	}
	for _, s := range serviceTagValues(pip.Tags) {
		if strings.EqualFold(s, serviceKey) {
			return true
		}
	}
	return false
}

// desiredPublicIP is the provider's public IP for a Service, starting from the existing one (nil to
// create) so tags the user added stay. It reports whether anything differs from existing.
func desiredPublicIP(existing *armnetwork.PublicIPAddress, spec *ServiceSpec, s *Settings) (*armnetwork.PublicIPAddress, bool) {
	tags := map[string]*string{}
	if existing != nil {
		for k, v := range existing.Tags {
			tags[k] = v
		}
	}
	changed := existing == nil
	set := func(key, value string) {
		for k, v := range tags {
			if strings.EqualFold(k, key) {
				if ptr.Deref(v, "") != value {
					tags[k] = ptr.To(value)
					changed = true
				}
				return
			}
		}
		tags[key] = ptr.To(value)
		changed = true
	}
	services := serviceTagValues(tags)
	if !containsFold(services, spec.Key) {
		services = append(services, spec.Key)
	}
	sort.Strings(services)
	set(TagService, strings.Join(services, ","))
	set(TagClusterName, s.ClusterName)
	keys := make([]string, 0, len(spec.PIP.Tags))
	for k := range spec.PIP.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set(k, spec.PIP.Tags[k])
	}

	var pip armnetwork.PublicIPAddress
	if existing != nil {
		pip = *existing
	} else {
		pip = armnetwork.PublicIPAddress{
			Name:     ptr.To(spec.PIP.Name),
			Location: ptr.To(s.Location),
			SKU: &armnetwork.PublicIPAddressSKU{
				Name: ptr.To(armnetwork.PublicIPAddressSKUNameStandard),
				Tier: ptr.To(armnetwork.PublicIPAddressSKUTierRegional),
			},
		}
	}
	props := armnetwork.PublicIPAddressPropertiesFormat{
		PublicIPAllocationMethod: ptr.To(armnetwork.IPAllocationMethodStatic),
		PublicIPAddressVersion:   ptr.To(armnetwork.IPVersionIPv4),
	}
	if pip.Properties != nil {
		props = *pip.Properties
	}
	currentLabel := ""
	if props.DNSSettings != nil {
		currentLabel = ptr.Deref(props.DNSSettings.DomainNameLabel, "")
	}
	labelOwner, hasLabelTag := tagValue(tags, TagDNSLabelName)
	switch {
	case spec.PIP.DNSLabel != "":
		if currentLabel != spec.PIP.DNSLabel {
			props.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr.To(spec.PIP.DNSLabel)}
			changed = true
		}
		set(TagDNSLabelName, spec.Key)
	case hasLabelTag && strings.EqualFold(labelOwner, spec.Key) && currentLabel != "":
		// The annotation was removed: drop the label the provider set.
		props.DNSSettings = nil
		for k := range tags {
			if strings.EqualFold(k, TagDNSLabelName) {
				delete(tags, k)
			}
		}
		changed = true
	}
	pip.Properties = &props
	pip.Tags = tags
	return &pip, changed
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// ensurePublicIP returns the public IP a public Service's frontend uses, creating or updating the
// provider's own one. A user's public IP (named by annotation, or holding the requested address) is only
// checked, never written.
func (p *Provider) ensurePublicIP(ctx context.Context, spec *ServiceSpec) (*armnetwork.PublicIPAddress, error) {
	s := p.settings
	rg := spec.PIP.ResourceGroup
	var pip *armnetwork.PublicIPAddress
	switch {
	case spec.PIP.RequestedIP != "":
		all, err := p.pips.snapshot(ctx, rg)
		if err != nil {
			return nil, err
		}
		for _, candidate := range all {
			if candidate.Properties != nil && ptr.Deref(candidate.Properties.IPAddress, "") == spec.PIP.RequestedIP {
				pip = candidate
				break
			}
		}
		if pip == nil {
			return nil, fmt.Errorf("service %s: no public IP with address %s in resource group %s: create a Standard static public IP with that address there, or remove %s / spec.loadBalancerIP",
				spec.Key, spec.PIP.RequestedIP, rg, AnnotationIPv4)
		}
	case spec.PIP.UserNamed:
		var err error
		if pip, err = p.pips.lookup(ctx, rg, spec.PIP.Name); err != nil {
			return nil, err
		}
		if pip == nil { // perhaps created since the list: ask once
			if pip, err = p.arm.getPIP(ctx, rg, spec.PIP.Name); err != nil {
				return nil, err
			}
		}
		if pip == nil {
			return nil, fmt.Errorf("service %s: public IP %q named by %s does not exist in resource group %s: create it or remove the annotation",
				spec.Key, spec.PIP.Name, AnnotationPIPName, rg)
		}
		if ownedBy(pip, spec.Key, s.ClusterName) {
			return p.writePublicIP(ctx, spec, pip)
		}
	default:
		existing, err := p.pips.lookup(ctx, rg, spec.PIP.Name)
		if err != nil {
			return nil, err
		}
		if existing != nil {
			if others := serviceTagValues(existing.Tags); len(others) > 0 && !ownedBy(existing, spec.Key, s.ClusterName) {
				return nil, fmt.Errorf("service %s: public IP %s/%s belongs to %s", spec.Key, rg, spec.PIP.Name, strings.Join(others, ","))
			}
		}
		return p.writePublicIP(ctx, spec, existing)
	}
	if err := checkUserPublicIP(pip, spec); err != nil {
		return nil, err
	}
	return pip, nil
}

// writePublicIP creates or updates the provider's public IP when it differs from what the Service needs.
func (p *Provider) writePublicIP(ctx context.Context, spec *ServiceSpec, existing *armnetwork.PublicIPAddress) (*armnetwork.PublicIPAddress, error) {
	rg := spec.PIP.ResourceGroup
	for attempt := 0; ; attempt++ {
		desired, changed := desiredPublicIP(existing, spec, p.settings)
		if !changed {
			return existing, nil
		}
		etag := ""
		if existing != nil {
			etag = ptr.Deref(existing.Etag, "*")
		}
		out, err := p.arm.putPIP(ctx, rg, desired, etag)
		p.metrics.observePIPWrite(err)
		if isStale(err) && attempt < maxStaleRetries {
			if existing, err = p.arm.getPIP(ctx, rg, ptr.Deref(desired.Name, "")); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			p.pips.invalidate(rg)
			return nil, err
		}
		p.pips.store(rg, ptr.Deref(out.Name, ""), out)
		return out, nil
	}
}

// checkUserPublicIP refuses a user's public IP that a Standard load balancer cannot use.
func checkUserPublicIP(pip *armnetwork.PublicIPAddress, spec *ServiceSpec) error {
	if pip.SKU == nil || ptr.Deref(pip.SKU.Name, "") != armnetwork.PublicIPAddressSKUNameStandard {
		return fmt.Errorf("service %s: public IP %s is not of the Standard SKU, which a Standard load balancer needs", spec.Key, ptr.Deref(pip.Name, ""))
	}
	if pip.Properties != nil && pip.Properties.IPConfiguration != nil {
		fe := ptr.Deref(pip.Properties.IPConfiguration.ID, "")
		if owner := ownerBase(lastSegment(fe)); owner != "" && owner != spec.Base {
			return fmt.Errorf("service %s: public IP %s is already used by frontend %s of another Service", spec.Key, ptr.Deref(pip.Name, ""), fe)
		}
		if ownerBase(lastSegment(fe)) == "" {
			return fmt.Errorf("service %s: public IP %s is already used by %s", spec.Key, ptr.Deref(pip.Name, ""), fe)
		}
	}
	return nil
}

// releasePublicIPs deletes the public IPs the provider created for the Service, except keep (the one it
// still uses). A public IP shared by several Services only loses this Service from its tag. Public IPs
// without the Service's ownership tags are the user's and are left alone.
func (p *Provider) releasePublicIPs(ctx context.Context, svc *v1.Service, resourceGroups []string, keep string) error {
	key := svc.Namespace + "/" + svc.Name
	for _, rg := range resourceGroups {
		all, err := p.pips.snapshot(ctx, rg)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(all))
		for name, pip := range all {
			if ownedBy(pip, key, p.settings.ClusterName) && !strings.EqualFold(name, keep) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			if err := p.releasePublicIP(ctx, rg, all[name], key); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Provider) releasePublicIP(ctx context.Context, rg string, pip *armnetwork.PublicIPAddress, key string) error {
	name := ptr.Deref(pip.Name, "")
	for attempt := 0; ; attempt++ {
		var remaining []string
		for _, s := range serviceTagValues(pip.Tags) {
			if !strings.EqualFold(s, key) {
				remaining = append(remaining, s)
			}
		}
		var err error
		if len(remaining) > 0 {
			updated := *pip
			updated.Tags = map[string]*string{}
			for k, v := range pip.Tags {
				updated.Tags[k] = v
			}
			for k := range updated.Tags {
				if strings.EqualFold(k, TagService) {
					delete(updated.Tags, k)
				}
			}
			updated.Tags[TagService] = ptr.To(strings.Join(remaining, ","))
			var out *armnetwork.PublicIPAddress
			out, err = p.arm.putPIP(ctx, rg, &updated, ptr.Deref(pip.Etag, "*"))
			if err == nil {
				p.pips.store(rg, name, out)
			}
		} else {
			err = p.arm.deletePIP(ctx, rg, name, ptr.Deref(pip.Etag, "*"))
			if err == nil {
				p.pips.store(rg, name, nil)
			}
		}
		p.metrics.observePIPWrite(err)
		if isStale(err) && attempt < maxStaleRetries {
			fresh, gerr := p.arm.getPIP(ctx, rg, name)
			if gerr != nil {
				return gerr
			}
			if fresh == nil {
				p.pips.store(rg, name, nil)
				return nil
			}
			pip = fresh
			continue
		}
		if err != nil {
			p.pips.invalidate(rg)
			return fmt.Errorf("releasing public IP %s/%s of %s: %w", rg, name, key, err)
		}
		return nil
	}
}

package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// render builds a kustomization directory the way kustomize does, for the
// few features the CyberCampus manifests use: resources (files and
// directories), components, namespace, images and strategic-merge patches
// from files. Anything else in a kustomization is an error, so that a new
// feature cannot slip past these checks unrendered. TestKustomizeAgrees
// compares the result with the real kustomize when kubectl is installed.
func render(dir string) ([]obj, error) {
	k, err := readKustomization(dir)
	if err != nil {
		return nil, err
	}
	var out []obj
	for _, r := range strs(l(k, "resources")) {
		p := filepath.Join(dir, r)
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: resource %s: %w", dir, r, err)
		}
		var docs []obj
		if st.IsDir() {
			docs, err = render(p)
		} else {
			docs, err = readPath(p)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	for _, c := range strs(l(k, "components")) {
		docs, err := renderComponent(filepath.Join(dir, c), out)
		if err != nil {
			return nil, err
		}
		out = docs
	}
	if out, err = applyPatches(dir, k, out); err != nil {
		return nil, err
	}
	if ns := s(k, "namespace"); ns != "" {
		for _, o := range out {
			if s(o, "kind") != "Namespace" {
				if m(o, "metadata") == nil {
					o["metadata"] = obj{}
				}
				m(o, "metadata")["namespace"] = ns
			}
		}
	}
	for _, img := range l(k, "images") {
		setImage(out, s(img, "name"), s(img, "newName"), s(img, "newTag"))
	}
	return out, nil
}

// renderComponent adds a component's resources to those built so far and
// applies its patches to all of them.
func renderComponent(dir string, built []obj) ([]obj, error) {
	k, err := readKustomization(dir)
	if err != nil {
		return nil, err
	}
	if s(k, "kind") != "Component" {
		return nil, fmt.Errorf("%s: a component must be kind Component", dir)
	}
	out := slices.Clone(built)
	for _, r := range strs(l(k, "resources")) {
		docs, err := readPath(filepath.Join(dir, r))
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return applyPatches(dir, k, out)
}

var kustomizationFields = []string{"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}

func readKustomization(dir string) (obj, error) {
	docs, err := readPath(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("%s: kustomization.yaml must hold one document", dir)
	}
	k := docs[0]
	for f := range k {
		if !slices.Contains(kustomizationFields, f) {
			return nil, fmt.Errorf("%s: kustomization field %q is not understood by this test's renderer; extend render()", dir, f)
		}
	}
	for _, img := range l(k, "images") {
		for f := range m(img) {
			if f != "name" && f != "newName" && f != "newTag" {
				return nil, fmt.Errorf("%s: images field %q not understood", dir, f)
			}
		}
	}
	for _, p := range l(k, "patches") {
		if len(m(p)) != 1 || s(p, "path") == "" {
			return nil, fmt.Errorf("%s: only patches given by path (strategic merge) are understood", dir)
		}
	}
	return k, nil
}

func readPath(p string) ([]obj, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	docs, err := readDocs(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return docs, nil
}

func id(o obj) string { return s(o, "kind") + "/" + s(o, "metadata", "name") }

func applyPatches(dir string, k obj, out []obj) ([]obj, error) {
	for _, p := range l(k, "patches") {
		patches, err := readPath(filepath.Join(dir, s(p, "path")))
		if err != nil {
			return nil, err
		}
		for _, patch := range patches {
			i := slices.IndexFunc(out, func(o obj) bool { return id(o) == id(patch) })
			if i < 0 {
				return nil, fmt.Errorf("%s: patch for %s matches no resource", dir, id(patch))
			}
			merged, err := merge(out[i], patch)
			if err != nil {
				return nil, fmt.Errorf("%s: patch for %s: %w", dir, id(patch), err)
			}
			out[i] = merged.(obj)
		}
	}
	return out, nil
}

// merge is a strategic merge for the fields the manifests patch: maps merge
// key by key; lists whose items all carry a name (containers, env, volumes,
// ports, volumeMounts) merge item by item by name; other lists are replaced.
func merge(base, patch any) (any, error) {
	switch p := patch.(type) {
	case obj:
		b, ok := base.(obj)
		if !ok {
			return deepCopy(p), nil
		}
		out := deepCopy(b).(obj)
		for k, v := range p {
			if strings.HasPrefix(k, "$") {
				return nil, fmt.Errorf("directive %s not understood", k)
			}
			mv, err := merge(out[k], v)
			if err != nil {
				return nil, err
			}
			out[k] = mv
		}
		return out, nil
	case []any:
		b, ok := base.([]any)
		if !ok || !allNamed(b) || !allNamed(p) {
			return deepCopy(p), nil
		}
		out := deepCopy(b).([]any)
		for _, item := range p {
			i := slices.IndexFunc(out, func(x any) bool { return s(x, "name") == s(item, "name") })
			if i < 0 {
				out = append(out, deepCopy(item))
				continue
			}
			mv, err := merge(out[i], item)
			if err != nil {
				return nil, err
			}
			out[i] = mv
		}
		return out, nil
	default:
		return patch, nil
	}
}

func allNamed(v []any) bool {
	for _, x := range v {
		if s(x, "name") == "" {
			return false
		}
	}
	return true
}

// setImage rewrites the image of every container whose image is name.
func setImage(docs []obj, name, newName, newTag string) {
	for _, o := range docs {
		for _, c := range containers(o) {
			repo, tag := splitImage(s(c, "image"))
			if repo != name {
				continue
			}
			if newName != "" {
				repo = newName
			}
			if newTag != "" {
				tag = newTag
			}
			c["image"] = repo
			if tag != "" {
				c["image"] = repo + ":" + tag
			}
		}
	}
}

// splitImage splits "repo[:tag]" (a registry port is not a tag).
func splitImage(image string) (repo, tag string) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, ""
	}
	return image[:i], image[i+1:]
}

// podSpec returns the pod spec of a workload, or nil.
func podSpec(o obj) obj {
	switch s(o, "kind") {
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet":
		return m(o, "spec", "template", "spec")
	case "CronJob":
		return m(o, "spec", "jobTemplate", "spec", "template", "spec")
	case "Pod":
		return m(o, "spec")
	}
	return nil
}

// containers returns every container and init container of a workload.
func containers(o obj) []obj {
	ps := podSpec(o)
	var out []obj
	for _, f := range []string{"initContainers", "containers"} {
		for _, c := range l(ps, f) {
			if cm, ok := c.(obj); ok {
				out = append(out, cm)
			}
		}
	}
	return out
}

// ids lists the kind/name of every object, sorted.
func ids(docs []obj) []string {
	out := make([]string, 0, len(docs))
	for _, o := range docs {
		out = append(out, id(o))
	}
	sort.Strings(out)
	return out
}

// Command helm-render renders a Helm chart the way `helm template` does, for tests on machines
// that have Go but no helm binary. It covers what our chart uses, with Helm's semantics:
//
//   - Chart.yaml (apiVersion v2, name, semver version, kubeVersion constraint) as .Chart;
//   - values.yaml merged with each -f file in order (maps merge deeply, a null deletes the key),
//     numbers read as float64 as Helm's YAML-through-JSON reader does;
//   - .Release (Name, Namespace, Service, IsInstall, IsUpgrade, Revision), .Capabilities
//     (KubeVersion, APIVersions.Has), .Template (Name, BasePath);
//   - sprig's text functions without env/expandenv, plus include, tpl, required, toYaml,
//     fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray and lookup (always empty);
//   - every file under templates/ parsed into one template set, files whose name starts with "_"
//     only defining helpers; missingkey=zero and "<no value>" removed from the output;
//   - each rendered YAML document parsed (a parse error fails the render) and printed after a
//     "# Source:" line, resources in Helm's install order, then hooks by weight.
//
// Values are not checked against values.schema.json here: -values-only prints the merged values
// as JSON so the caller validates them (test/support/helm-render/render.ts, with ajv).
//
// Build (offline, against Debian's golang-github-masterminds-sprig-dev and
// golang-gopkg-yaml.v3-dev): GO111MODULE=off GOPATH=/usr/share/gocode go build -o helm-render main.go
//
// Usage: helm-render -chart DIR [-f values.yaml]... [-name R] [-namespace NS] [-upgrade]
//
//	[-values-only] [-notes] [-kube-version v1.30.0] [-api-versions group/version]...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

// Has reports whether a group/version ("apps/v1") or a group/version/kind is available.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

// Capabilities is .Capabilities.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

// The API versions a v1.30 cluster serves that charts commonly test for.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
	"storage.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
}

// Kinds in the order Helm installs them; other kinds come after, hooks after everything.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

var releaseName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func main() {
	chartDir := flag.String("chart", "", "chart directory (required)")
	var valueFiles, apiVersions listFlag
	flag.Var(&valueFiles, "f", "values file merged over values.yaml (repeatable)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities (repeatable)")
	name := flag.String("name", "release", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	upgrade := flag.Bool("upgrade", false, "render as an upgrade (.Release.IsUpgrade)")
	valuesOnly := flag.Bool("values-only", false, "print the merged values as JSON and exit")
	notes := flag.Bool("notes", false, "also print the rendered NOTES.txt")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Kubernetes version for .Capabilities")
	flag.Parse()
	if *chartDir == "" {
		fail(errors.New("-chart is required"))
	}
	if len(*name) > 53 || !releaseName.MatchString(*name) {
		fail(fmt.Errorf("release name %q is invalid: lowercase DNS-1123 label of at most 53 characters", *name))
	}

	chart, err := loadChart(*chartDir)
	if err != nil {
		fail(err)
	}
	values, err := loadValues(filepath.Join(*chartDir, "values.yaml"), valueFiles)
	if err != nil {
		fail(err)
	}
	if *valuesOnly {
		out, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			fail(err)
		}
		fmt.Println(string(out))
		return
	}

	kv, err := semver.NewVersion(*kubeVersion)
	if err != nil {
		fail(fmt.Errorf("-kube-version: %w", err))
	}
	if constraint, ok := chart["KubeVersion"].(string); ok && constraint != "" {
		c, err := semver.NewConstraint(constraint)
		if err != nil {
			fail(fmt.Errorf("Chart.yaml: kubeVersion %q: %w", constraint, err))
		}
		if !c.Check(kv) {
			fail(fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", constraint, *kubeVersion))
		}
	}
	caps := Capabilities{
		KubeVersion: KubeVersion{
			Version:    "v" + kv.String(),
			Major:      strconv.FormatUint(kv.Major(), 10),
			Minor:      strconv.FormatUint(kv.Minor(), 10),
			GitVersion: "v" + kv.String(),
		},
		APIVersions: append(VersionSet(defaultAPIVersions), apiVersions...),
	}
	release := map[string]interface{}{
		"Name":      *name,
		"Namespace": *namespace,
		"Service":   "Helm",
		"IsInstall": !*upgrade,
		"IsUpgrade": *upgrade,
		"Revision":  1,
	}
	if *upgrade {
		release["Revision"] = 2
	}
	top := map[string]interface{}{
		"Values":       values,
		"Release":      release,
		"Chart":        chart,
		"Capabilities": caps,
	}

	files, err := templateFiles(*chartDir, chart["Name"].(string))
	if err != nil {
		fail(err)
	}
	rendered, err := render(chart["Name"].(string), files, top)
	if err != nil {
		fail(err)
	}
	out, err := manifests(rendered)
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString(out)
	if *notes {
		for name, text := range rendered {
			if strings.HasSuffix(name, "/NOTES.txt") {
				fmt.Printf("\nNOTES:\n%s\n", text)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	os.Exit(1)
}

// loadChart reads Chart.yaml into the fields templates see as .Chart.
func loadChart(dir string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta map[string]interface{}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	str := func(key string) string {
		s, _ := meta[key].(string)
		return s
	}
	if str("apiVersion") != "v2" {
		return nil, errors.New("Chart.yaml: apiVersion must be v2")
	}
	if str("name") == "" {
		return nil, errors.New("Chart.yaml: name is required")
	}
	if _, err := semver.StrictNewVersion(str("version")); err != nil {
		return nil, fmt.Errorf("Chart.yaml: version %q is not SemVer 2: %w", str("version"), err)
	}
	if t := str("type"); t != "" && t != "application" && t != "library" {
		return nil, fmt.Errorf("Chart.yaml: type must be application or library, got %q", t)
	}
	fields := map[string]string{
		"apiVersion": "APIVersion", "name": "Name", "version": "Version",
		"appVersion": "AppVersion", "description": "Description", "type": "Type",
		"kubeVersion": "KubeVersion", "home": "Home", "icon": "Icon", "keywords": "Keywords",
		"sources": "Sources", "maintainers": "Maintainers", "annotations": "Annotations",
		"deprecated": "Deprecated", "dependencies": "Dependencies",
	}
	chart := map[string]interface{}{}
	for key, value := range meta {
		field, ok := fields[key]
		if !ok {
			return nil, fmt.Errorf("Chart.yaml: unknown field %q", key)
		}
		chart[field] = value
	}
	return chart, nil
}

// loadValues reads the chart's values.yaml and merges each override file over it.
func loadValues(defaults string, overrides []string) (map[string]interface{}, error) {
	values, err := readValues(defaults)
	if err != nil {
		return nil, err
	}
	for _, file := range overrides {
		override, err := readValues(file)
		if err != nil {
			return nil, err
		}
		values = coalesce(values, override)
	}
	return values, nil
}

func readValues(file string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc interface{}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(doc).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: values must be a mapping", file)
	}
	return m, nil
}

// normalize gives decoded YAML the types Helm's reader (YAML converted to JSON) produces: string
// keys, float64 numbers, RFC 3339 strings for timestamps.
func normalize(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []interface{}:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return v
	}
}

// coalesce merges override over base as Helm does for user values: maps merge key by key, any
// other value replaces, and a null removes the key.
func coalesce(base, override map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if v == nil {
			delete(out, k)
			continue
		}
		baseMap, baseIsMap := out[k].(map[string]interface{})
		overrideMap, overrideIsMap := v.(map[string]interface{})
		if baseIsMap && overrideIsMap {
			out[k] = coalesce(baseMap, overrideMap)
		} else {
			out[k] = v
		}
	}
	return out
}

type templateFile struct {
	name string // chart/templates/file.yaml, as Helm names it
	text string
}

func templateFiles(dir, chartName string) ([]templateFile, error) {
	root := filepath.Join(dir, "templates")
	var files []templateFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, templateFile{path.Join(chartName, filepath.ToSlash(rel)), string(raw)})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, err
}

// render executes every template that is not a helper and returns the output by template name.
func render(chartName string, files []templateFile, top map[string]interface{}) (map[string]string, error) {
	t := template.New("gotpl").Option("missingkey=zero")
	t.Funcs(funcMap(t))
	for _, f := range files {
		if _, err := t.New(f.name).Parse(f.text); err != nil {
			return nil, fmt.Errorf("parse error in %s: %w", f.name, err)
		}
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasPrefix(path.Base(f.name), "_") {
			continue
		}
		data := make(map[string]interface{}, len(top)+1)
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{
			"Name":     f.name,
			"BasePath": path.Join(chartName, "templates"),
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, f.name, data); err != nil {
			return nil, fmt.Errorf("render error in %s: %w", f.name, err)
		}
		out[f.name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	includedNames := map[string]int{}
	extra := template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			if includedNames[name] > 1000 {
				return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
			}
			includedNames[name]++
			defer func() { includedNames[name]-- }()
			var buf bytes.Buffer
			if err := t.ExecuteTemplate(&buf, name, data); err != nil {
				return "", err
			}
			return buf.String(), nil
		},
		"tpl": func(text string, data interface{}) (string, error) {
			clone, err := t.Clone()
			if err != nil {
				return "", err
			}
			if _, err := clone.New("tpl").Parse(text); err != nil {
				return "", fmt.Errorf("cannot parse template %q: %w", text, err)
			}
			var buf bytes.Buffer
			if err := clone.ExecuteTemplate(&buf, "tpl", data); err != nil {
				return "", fmt.Errorf("error calling tpl: %w", err)
			}
			return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
		},
		"required": func(msg string, v interface{}) (interface{}, error) {
			if v == nil {
				return v, errors.New(msg)
			}
			if s, ok := v.(string); ok && s == "" {
				return v, errors.New(msg)
			}
			return v, nil
		},
		"toYaml":        func(v interface{}) string { s, _ := toYAML(v); return s },
		"mustToYaml":    toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson": func(v interface{}) string {
			b, err := json.Marshal(v)
			if err != nil {
				return ""
			}
			return string(b)
		},
		"mustToJson": func(v interface{}) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"fromJson": func(s string) map[string]interface{} {
			m := map[string]interface{}{}
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"fromJsonArray": func(s string) []interface{} {
			var a []interface{}
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				a = []interface{}{err.Error()}
			}
			return a
		},
		// No cluster to ask: lookup finds nothing, as under `helm template`.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// toYAML writes v as Helm does: through JSON (so integral numbers print as integers and keys
// are sorted), two-space indentation, no trailing newline.
func toYAML(v interface{}) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc interface{}
	if err := dec.Decode(&doc); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(jsonNumbers(doc)); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func jsonNumbers(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = jsonNumbers(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = jsonNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func fromYAML(s string) map[string]interface{} {
	var m map[string]interface{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return normalize(m).(map[string]interface{})
}

func fromYAMLArray(s string) []interface{} {
	var a []interface{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		return []interface{}{err.Error()}
	}
	return normalize(a).([]interface{})
}

var documentSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

type manifest struct {
	source string
	body   string
	kind   string
	name   string
	hook   bool
	weight int
}

// manifests splits the rendered templates into YAML documents, checks that each parses as a
// Kubernetes object, and prints them as `helm template` does.
func manifests(rendered map[string]string) (string, error) {
	var all []manifest
	for source, text := range rendered {
		ext := path.Ext(source)
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			continue
		}
		for _, doc := range documentSeparator.Split(text, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
				Metadata   struct {
					Name        string            `yaml:"name"`
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %w", source, err)
			}
			if head.APIVersion == "" || head.Kind == "" {
				// Comment-only output is allowed; a document with content must be an object.
				var content interface{}
				_ = yaml.Unmarshal([]byte(doc), &content)
				if content == nil {
					continue
				}
				return "", fmt.Errorf("%s: a document has no apiVersion or kind", source)
			}
			m := manifest{
				source: source, body: strings.TrimSpace(doc), kind: head.Kind, name: head.Metadata.Name,
			}
			if _, ok := head.Metadata.Annotations["helm.sh/hook"]; ok {
				m.hook = true
				if w := head.Metadata.Annotations["helm.sh/hook-weight"]; w != "" {
					n, err := strconv.Atoi(w)
					if err != nil {
						return "", fmt.Errorf("%s: helm.sh/hook-weight %q is not an integer", source, w)
					}
					m.weight = n
				}
			}
			all = append(all, m)
		}
	}
	rank := func(kind string) int {
		for i, k := range installOrder {
			if k == kind {
				return i
			}
		}
		return len(installOrder)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.hook != b.hook {
			return !a.hook
		}
		if a.hook && a.weight != b.weight {
			return a.weight < b.weight
		}
		if rank(a.kind) != rank(b.kind) {
			return rank(a.kind) < rank(b.kind)
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.source < b.source
	})
	var out strings.Builder
	for _, m := range all {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	return out.String(), nil
}

// Package deploy holds the deployment files of CyberCampus (compose.yaml,
// the Kubernetes kustomize base and overlays) and, in its tests, the checks
// that keep them true to the program: every variable one of them sets is one
// the program reads, every probe calls a real route, and the Kubernetes
// objects fit together. It has no code of its own.
package deploy

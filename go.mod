module github.com/drainsim/drainsim

go 1.25

require (
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.6
)

require pgregory.net/rapid v1.3.0 // indirect

module transformers

go 1.26

nft --skip-unsupported

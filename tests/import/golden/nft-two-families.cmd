nft --hook filter/output=none

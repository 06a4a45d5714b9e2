nft

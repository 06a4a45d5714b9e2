nft --hook input=xdp --hook filter/forward=none --hook nosuch=xdp

M=(1<<64)-1
def fmix(k):
    k^=k>>33; k=(k*0xff51afd7ed558ccd)&M; k^=k>>33; k=(k*0xc4ceb9fe1a85ec53)&M; k^=k>>33; return k
G=0x9e3779b97f4a7c15
def seed_of(seed,id_,j):
    h=0xcbf29ce484222325
    for b in id_.encode(): h=((h^b)*0x100000001b3)&M
    x=fmix((seed*G+h)&M); return fmix((x+(j+1)*G)&M)
def mix64(z):
    z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M; z=((z^(z>>27))*0x94d049bb133111eb)&M; return z^(z>>31)
def first_double(s):
    return (mix64((s+G)&M)>>11)*2.0**-53
def signed(x): return x-(1<<64) if x>>63 else x
for args in [(0,"a",0),(42,"ex-7",3),(-1,"é",0)]:
    s=seed_of(*[(args[0]&M),args[1],args[2]])
    print(args, signed(s), repr(first_double(s)))

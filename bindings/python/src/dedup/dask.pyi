from typing import Any, Optional, Sequence, Union

def cluster(collection: Any, *, threads: int = ..., boilerplate: int = ...,
            text_fields: Sequence[str] = ..., site_field: Optional[str] = ...,
            npartitions: Optional[int] = ...,
            client: Any = ..., **params: Union[int, float]) -> list[int]: ...
